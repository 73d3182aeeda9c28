"""helpers.replication: the batched per-layer fits of notebook 07 against sklearn, one layer at a time."""
from __future__ import annotations

import numpy as np

from helpers.replication import fit_logreg, layer_accuracies


def test_layer_accuracies_match_sklearn_per_layer():
    rng = np.random.default_rng(0)
    n, d = 400, 20
    y = rng.integers(0, 2, n)
    signal = (2 * y - 1)[:, None] * np.eye(d)[0]
    X = np.stack([rng.normal(size=(n, d)),                     # layer 0: noise
                  rng.normal(size=(n, d)) + 0.6 * signal,      # layer 1: overlapping classes
                  rng.normal(size=(n, d)) + 3.0 * signal], 1)  # layer 2: separated
    X = (X * rng.uniform(0.5, 5, d) + rng.normal(size=d)).astype(np.float32)  # unequal scales and offsets
    train = np.arange(300)
    test = np.zeros(n, bool)
    test[300:] = True
    got = layer_accuracies(X, y, train, test, C=1.0)
    want = [(fit_logreg(X[train, layer], y[train], C=1.0)(X[test, layer]) == y[test]).mean() for layer in range(3)]
    assert np.abs(got - np.asarray(want)).max() <= 1 / test.sum() + 1e-12
    assert got[2] > 0.95 and 0.6 < got[1] < 0.95 and got[0] < 0.65


def test_layer_accuracies_need_both_classes_and_test_rows():
    X = np.zeros((6, 2, 3), np.float32)
    y = np.array([0, 0, 0, 1, 1, 1])
    assert np.isnan(layer_accuracies(X, y, np.arange(3), np.ones(6, bool), C=1.0)).all()  # one class in train
    assert np.isnan(layer_accuracies(X, y, np.arange(6), np.zeros(6, bool), C=1.0)).all()  # nothing to score


def test_saved_probe_transfer_scores_every_target_row_and_names_a_missing_spec():
    import pandas as pd
    import pytest

    from helpers.probes import Probe
    from helpers.replication import saved_probe_transfer

    probe = Probe(axis="valence", kind="logreg", hook="attn_v", pooling="mean", layer=3, mean=np.zeros(2),
                  scale=np.ones(2), coef=np.array([1.0, 0.0]), intercept=0.0, direction=np.array([1.0, 0.0]),
                  projection_std=1.0)
    target = pd.DataFrame({"y": [1, 0, 1, 0], "negation": [False, False, True, True],
                           "frame": ["plain", "plain", "causal", "concessive"]})
    X = np.zeros((4, 2, 2), np.float32)
    X[:, 1, 0] = [1.0, -1.0, -1.0, -1.0]  # layer 3 (slot 1): right on both affirmative rows, one of two negated
    got = saved_probe_transfer(probe, {("attn_v", "mean"): X}, target, layers=[0, 3])
    assert (got["all"], got["affirmative"], got["negated"]) == (0.75, 1.0, 0.5)
    assert got["config"]["layer"] == 3 and got["negated_by_kind"]["causal"]["accuracy"] == 0.0
    with pytest.raises(ValueError, match="Pass the model"):
        saved_probe_transfer(probe, {("attn_v", "mean"): X}, target, layers=[0, 2])
