"""helpers.comparison: sentence folds, the transfer probe's choice on templated validation, the
in-domain probe's nested CV, and the result rows of notebook 04 (exact small cases)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers import comparison
from helpers import plots


# ----------------------------------------------------------------------------- probes on sentences (synthetic)
def _synthetic_features(n=120, layers=4, width=6, good=(("resid_post", "mean"), 2), seed=0):
    """Features keyed by (hook, pooling) like collect_many's; only ``good`` = (key, layer) separates the classes."""
    rng = np.random.default_rng(seed)
    y = np.array([0, 1] * (n // 2))
    keys = [(hook, pooling) for hook in ("resid_post", "attn_v") for pooling in ("last", "mean")]
    features = {key: rng.normal(size=(n, layers, width)) for key in keys}
    features[good[0]][:, good[1], 0] += 3.0 * (2 * y - 1)
    return features, y


def test_stratified_folds_balance_every_stratum():
    strata = ["a"] * 10 + ["b"] * 7 + ["c"] * 3
    folds = comparison.stratified_folds(strata, n_folds=5, seed=0)
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3, 4]
    for stratum in "abc":
        counts = np.bincount(folds[np.array(strata) == stratum], minlength=5)
        assert counts.max() - counts.min() <= 1
    assert np.bincount(folds).max() - np.bincount(folds).min() <= 1
    assert (comparison.stratified_folds(strata, 5, seed=0) == folds).all()
    assert not (comparison.stratified_folds(strata, 5, seed=1) == folds).all()


def test_stratified_sample_keeps_shares():
    df = pd.DataFrame({"label": ["p"] * 60 + ["n"] * 40, "hard": [True, False] * 50, "v": range(100)})
    sample = comparison.stratified_sample(df, 20, ["label", "hard"], seed=0)
    assert len(sample) == 20 and (sample["label"] == "p").sum() == 12
    assert sample.index.is_monotonic_increasing
    assert comparison.stratified_sample(df, None, ["label"]) is df
    assert len(comparison.stratified_sample(df, 500, ["label"])) == 100


def test_select_transfer_config_finds_the_informative_layer():
    features, y = _synthetic_features(good=(("attn_v", "mean"), 2))
    fit = np.arange(len(y)) < 80
    key, layer, table = comparison.select_transfer_config(features, y, fit, ~fit, [0, 1, 2, 3],
                                                 report={"sentence_accuracy": (features, y)})
    assert (key, layer) == (("attn_v", "mean"), 2)
    assert len(table) == 16 and set(table.columns) == {"hook", "pooling", "layer", "validation_accuracy", "sentence_accuracy"}
    assert table.set_index(["hook", "pooling", "layer"]).loc[("attn_v", "mean", 2), "validation_accuracy"] > 0.9
    assert comparison.best_transfer_config(table) == (key, layer)
    assert comparison.best_transfer_config(table, "attn_v") == (("attn_v", "mean"), 2)
    resid = table[table["hook"] == "resid_post"]
    best = resid["validation_accuracy"].max()
    first_best = next(r for r in resid.itertuples() if r.validation_accuracy == best)
    assert comparison.best_transfer_config(table, "resid_post") == (("resid_post", first_best.pooling), first_best.layer)
    with pytest.raises(ValueError, match="mlp_out"):
        comparison.best_transfer_config(table, "mlp_out")
    fig = plots.transfer_figure(table, (key, layer), "toy")
    assert len(fig.data) == 8  # 4 (hook, pooling) lines x (validation, sentences)


def test_choose_C_on_validation_prefers_regularisation_on_ties():
    features, y = _synthetic_features()
    fit = np.arange(len(y)) < 80
    C, scores = comparison.choose_C_on_validation(features[("resid_post", "mean")][:, 2], y, fit, ~fit, Cs=[1.0, 0.01, 0.1])
    assert list(scores) == [0.01, 0.1, 1.0] and scores[C] == max(scores.values())
    assert C == min(c for c, s in scores.items() if s == max(scores.values()))


def test_choose_layer_pooling_and_nested_cv():
    features, y = _synthetic_features(good=(("attn_v", "last"), 1))
    assert comparison.choose_layer_pooling(features, y, [0, 1, 2, 3])[:2] == (("attn_v", "last"), 1)
    folds = comparison.stratified_folds(y, 4, seed=0)
    result = comparison.in_domain_probe_cv(features, y, folds, [0, 1, 2, 3])
    assert (result["pred"] == y).mean() > 0.9
    assert [(c["hook"], c["pooling"], c["layer"]) for c in result["choices"]] == [("attn_v", "last", 1)] * 4
    # ties go to the earlier layer: identical features at every layer
    same = {("attn_v", "last"): np.repeat(features[("attn_v", "last")][:, 1:2], 4, axis=1)}
    assert comparison.choose_layer_pooling(same, y, [0, 1, 2, 3])[:2] == (("attn_v", "last"), 0)


def test_method_result_and_best_prompting():
    row = comparison.method_result([1, 0, 1, 1], [1, 0, 0, 1], [True, False, True, False], [1, 1], [1, 0],
                          {"seconds_per_100": 3.0, "param_bytes": 10, "peak_rss_mb": 5.0})
    assert row["accuracy"] == 0.75 and row["accuracy_hard"] == 0.5 and row["accuracy_E4"] == 0.5
    assert row["seconds_per_100"] == 3.0 and row["param_bytes"] == 10 and row["peak_rss_mb"] == 5.0
    assert math.isnan(comparison.method_result([1], [1], [False], None, None, None)["accuracy_E4"])
    methods = {name: {"accuracy": a} for name, a in zip(comparison.PROMPTING, [0.6, 0.7, 0.7, 0.5])}
    assert comparison.best_prompting(methods) == "zero_shot_calibrated"


# ----------------------------------------------------------------------------- prompts (tokenizers only)


def test_fit_transfer_probe_uses_the_validation_C_and_names_its_features():
    features, y = _synthetic_features(good=(("attn_v", "mean"), 2))
    fit = np.arange(len(y)) < 80
    probe, scores = comparison.fit_transfer_probe(features, y, fit, ~fit, ("attn_v", "mean"), 2, model_name="toy")
    C, expected = comparison.choose_C_on_validation(features[("attn_v", "mean")][:, 2], y, fit, ~fit)
    assert scores == expected and probe.metrics["C"] == C
    assert (probe.hook, probe.pooling, probe.layer, probe.model) == ("attn_v", "mean", 2, "toy")
    assert (probe.predict(features[("attn_v", "mean")][:, 2]) == y).mean() > 0.9
