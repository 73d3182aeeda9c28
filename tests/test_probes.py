"""Probe training on exact small cases (hand-computed), save/load round trips, quick_probes."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.probes import Probe, load, save, train_probe

# Four points: class 1 lies 2 units to the right of class 0; the vertical spread is noise.
TOY_X = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.0]])
TOY_Y = np.array([0, 0, 1, 1])
KW = dict(axis="valence", hook="resid_post", pooling="last", layer=3)


def test_mean_diff_hand_computed():
    probe = train_probe(TOY_X, TOY_Y, kind="mean_diff", **KW)
    # class means (0, .5) and (2, .5): direction (1, 0); projections 0, 0, 2, 2 -> std 1, midpoint 1
    np.testing.assert_allclose(probe.direction, [1, 0], atol=1e-7)
    assert probe.projection_std == pytest.approx(1.0)
    np.testing.assert_allclose(probe.decision_function(TOY_X), [-1, -1, 1, 1], atol=1e-6)
    np.testing.assert_allclose(probe.decision_function(np.array([[1.0, 7.0]])), [0.0], atol=1e-6)
    assert probe.predict(TOY_X).tolist() == [0, 0, 1, 1]


def test_mean_diff_follows_labels():
    probe = train_probe(TOY_X, 1 - TOY_Y, kind="mean_diff", **KW)
    np.testing.assert_allclose(probe.direction, [-1, 0], atol=1e-7)
    assert probe.predict(TOY_X).tolist() == [1, 1, 0, 0]


def test_pc1_is_largest_variance_axis_signed_by_labels():
    # Spread 2 along x (labels), 1 along y: PC1 = x axis, signed towards class 1.
    probe = train_probe(TOY_X, TOY_Y, kind="pc1", **KW)
    np.testing.assert_allclose(probe.direction, [1, 0], atol=1e-7)
    np.testing.assert_allclose(probe.decision_function(TOY_X), [-1, -1, 1, 1], atol=1e-6)
    flipped = train_probe(TOY_X, 1 - TOY_Y, kind="pc1", **KW)
    np.testing.assert_allclose(flipped.direction, [-1, 0], atol=1e-7)


def test_pc1_ignores_labels_when_variance_is_elsewhere():
    # Stretch y by 10: PC1 becomes the y axis though the labels live on x.
    X = TOY_X * np.array([1.0, 10.0])
    probe = train_probe(X, TOY_Y, kind="pc1", **KW)
    assert abs(probe.direction[1]) == pytest.approx(1.0, abs=1e-6)
    mean_diff = train_probe(X, TOY_Y, kind="mean_diff", **KW)
    np.testing.assert_allclose(mean_diff.direction, [1, 0], atol=1e-7)


def _symmetric_data():
    # Labels depend on z0 + z1; the set is closed under swapping z0 and z1, so the logistic
    # regression on standardised features has equal weights. Column 1 is then scaled by 100.
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(200, 2))
    Z = np.vstack([Z, Z[:, ::-1]])
    y = (Z.sum(axis=1) > 0).astype(int)
    return Z * np.array([1.0, 100.0]), y


def test_logreg_direction_is_in_raw_space():
    X, y = _symmetric_data()
    probe = train_probe(X, y, kind="logreg", C=1.0, **KW)
    assert probe.coef[0] == pytest.approx(probe.coef[1], rel=1e-3)  # symmetric in standardised space
    # raw direction = coef / scale, normalised: (1, 1/100) / |.|
    expected = np.array([1.0, 0.01]) / np.linalg.norm([1.0, 0.01])
    np.testing.assert_allclose(probe.direction, expected, rtol=1e-3)
    np.testing.assert_allclose(probe.scale, X.std(axis=0), rtol=1e-5)
    assert probe.projection_std == pytest.approx((X @ probe.direction).std(), rel=1e-4)
    assert probe.metrics["C"] == 1.0


def test_logreg_matches_sklearn_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y = _symmetric_data()
    probe = train_probe(X, y, kind="logreg", C=0.1, **KW)
    scaler = StandardScaler().fit(X)
    reference = LogisticRegression(C=0.1, max_iter=1000, tol=1e-8).fit(scaler.transform(X), y)
    np.testing.assert_allclose(probe.decision_function(X), reference.decision_function(scaler.transform(X)), rtol=2e-3,
                               atol=2e-3)


def test_logreg_chooses_C_from_grid_on_train_rows():
    X, y = _symmetric_data()
    probe = train_probe(X, y, kind="logreg", Cs=(0.001, 1.0), **KW)
    assert probe.metrics["C"] in (0.001, 1.0)
    assert probe.predict(X).mean() == pytest.approx(0.5, abs=0.05)
    assert (probe.predict(X) == y).mean() > 0.97


def test_choose_C_prefers_strong_regularisation_on_noise():
    from helpers.probes import choose_C

    rng = np.random.default_rng(1)
    Z = rng.normal(size=(120, 40))
    y = rng.integers(0, 2, 120)
    y[:2] = [0, 1]
    # On pure noise no C beats chance; on a clean signal, the weak end of the grid should not be worse.
    C = choose_C(Z, y, Cs=(0.001, 0.01, 0.1, 1.0, 100.0))
    assert C in (0.001, 0.01, 0.1, 1.0, 100.0)
    signal = (Z[:, 0] > 0).astype(int)
    assert choose_C(Z, signal, Cs=(1e-6, 10.0)) == 10.0


def test_train_probe_rejects_bad_input():
    with pytest.raises(ValueError, match="both classes"):
        train_probe(TOY_X, np.zeros(4), kind="logreg", **KW)
    with pytest.raises(ValueError, match="kind"):
        train_probe(TOY_X, TOY_Y, kind="svm", **KW)
    with pytest.raises(ValueError, match="one label per row"):
        train_probe(TOY_X, TOY_Y[:3], kind="mean_diff", **KW)


def test_save_load_round_trip_all_kinds(tmp_path):
    X, y = _symmetric_data()
    probes = [train_probe(X, y, kind=kind, C=1.0, model_name="toy", **KW) for kind in ("logreg", "mean_diff", "pc1")]
    probes += [train_probe(X, 1 - y, kind=kind, C=1.0, model_name="toy", **{**KW, "axis": "arousal"})
               for kind in ("logreg", "mean_diff", "pc1")]
    loaded = load(save(tmp_path / "probes.npz", probes))
    assert set(loaded) == {"valence", "arousal", "valence/logreg", "valence/mean_diff", "valence/pc1",
                           "arousal/logreg", "arousal/mean_diff", "arousal/pc1"}
    for probe in probes:
        again = loaded[f"{probe.axis}/{probe.kind}"]
        assert isinstance(again, Probe)
        np.testing.assert_allclose(again.decision_function(X), probe.decision_function(X), rtol=1e-5, atol=1e-5)
        assert again.layer == 3 and again.model == "toy" and again.metrics["n_train"] == len(y)
    assert loaded["arousal"].kind == "logreg"


def test_quick_probes_on_smol(smol):
    from helpers.probes import quick_probes

    probes = quick_probes(smol, n_prompts=200)
    assert [(p.axis, p.kind) for p in probes] == [(a, k) for a in ("valence", "arousal")
                                                  for k in ("logreg", "mean_diff", "pc1")]
    for probe in probes:
        assert probe.layer == smol.cfg.n_layers // 2
        assert probe.direction.shape == (smol.cfg.d_model,)
        assert np.linalg.norm(probe.direction) == pytest.approx(1.0, abs=1e-4)
    assert probes[0].metrics["train_accuracy"] > 0.9  # valence logreg at mid depth
