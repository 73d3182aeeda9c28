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


def test_pc1_within_groups_ignores_group_offsets():
    # Two "templates" far apart along y; inside each, the classes differ along x.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 10.0], [1.0, 10.0]])
    y = np.array([0, 1, 0, 1])
    plain = train_probe(X, y, kind="pc1", **KW)
    assert abs(plain.direction[1]) == pytest.approx(1.0)       # the template axis
    within = train_probe(X, y, kind="pc1", center_groups=np.array(["a", "a", "b", "b"]), **KW)
    np.testing.assert_allclose(within.direction, [1, 0], atol=1e-7)
    assert within.predict(X).tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="one entry per row"):
        train_probe(X, y, kind="pc1", center_groups=np.array(["a", "b"]), **KW)


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


def test_cross_validation_groups_keep_words_unseen():
    # 40 "adjectives", 10 rows each; the label is a property of the word and the features are
    # only the word's identity (one-hot). Random folds reward memorising words (accuracy ~1);
    # folds grouped by word leave nothing to generalise from (chance).
    from helpers.probes import cross_validate_C

    rng = np.random.default_rng(0)
    word = np.repeat(np.arange(40), 10)
    word_label = rng.permutation(np.repeat([0, 1], 20))
    X = np.eye(40)[word] + 0.01 * rng.normal(size=(400, 40))
    y = word_label[word]
    _, ungrouped = cross_validate_C(X, y, Cs=(1.0,))
    _, grouped = cross_validate_C(X, y, groups=word, Cs=(1.0,))
    assert ungrouped > 0.95
    assert grouped < 0.7


def test_crossed_folds_hold_out_both_columns():
    # The label is a property of the template pattern; features encode only the pattern.
    # Folds grouped by word still see every pattern (easy); crossed folds do not (chance).
    from helpers.probes import _folds, cross_validate_C

    rng = np.random.default_rng(0)
    word, pattern = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    word, pattern = word.ravel(), pattern.ravel()
    pattern_label = rng.permutation(np.repeat([0, 1], 6))
    X = np.eye(12)[pattern] + 0.01 * rng.normal(size=(144, 12))
    y = pattern_label[pattern]
    _, by_word = cross_validate_C(X, y, groups=word, Cs=(1.0,))
    _, crossed = cross_validate_C(X, y, groups=np.column_stack([word, pattern]), Cs=(1.0,))
    assert by_word > 0.95 and crossed < 0.75
    for train, val in _folds(y, np.column_stack([word, pattern]), 3, 0):
        assert not set(word[train]) & set(word[val]) and not set(pattern[train]) & set(pattern[val])
        assert len(train) == 64 and len(val) == 16   # (8 words x 8 patterns) and (4 x 4)


def test_cross_validation_picks_weak_regularisation_for_clean_signal():
    from helpers.probes import choose_C, cross_validate_C

    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 40))
    y = (X[:, 0] > 0).astype(int)
    assert choose_C(X, y, Cs=(1e-6, 10.0)) == 10.0
    C, score = cross_validate_C(X, y, Cs=(10.0, 1e-6))  # order of the grid does not matter
    assert C == 10.0 and score > 0.7


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
