"""helpers.readouts: ridge read-outs of human ratings, on exact small cases."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from helpers import readouts as R


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.normal(size=40)
    assert R.spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)


def test_ridge_predictions_equal_the_closed_form():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2, 5)), rng.normal(size=30)
    Xe = rng.normal(size=(7, 2, 5))
    got = R._ridge_predictions(X, y, Xe, [0.5, 5.0])
    mean, std = X.mean(0), X.std(0) + 1e-6
    for layer in range(2):
        A, B = (X[:, layer] - mean[layer]) / std[layer], (Xe[:, layer] - mean[layer]) / std[layer]
        for j, alpha in enumerate([0.5, 5.0]):
            w = np.linalg.solve(A.T @ A + alpha * np.eye(5), A.T @ (y - y.mean()))
            np.testing.assert_allclose(got[layer, j], B @ w + y.mean(), atol=1e-8)


def test_readout_finds_the_informative_layer_and_never_trains_on_test_words():
    rng = np.random.default_rng(2)
    n, width = 400, 8
    y = rng.normal(size=n)
    X = rng.normal(size=(n, 3, width))
    X[:, 1, 0] += 3 * y                      # only layer 1 carries the rating
    train, test = R.word_split(n, n_test=100, seed=0)
    result = R.ridge_readout(X, y, train, test, n_boot=200)
    assert result.layer == 1 and result.heldout_spearman > 0.9
    assert result.ci[0] <= result.heldout_spearman <= result.ci[1]
    assert (result.n_train, result.n_test) == (300, 100)
    # the choice is made on training words: scrambling the test ratings changes the score, not the choice
    y2 = y.copy()
    y2[test] = rng.permutation(y2[test])
    again = R.ridge_readout(X, y2, train, test, n_boot=50)
    assert (again.layer, again.alpha) == (result.layer, result.alpha) and abs(again.heldout_spearman) < 0.3


def test_bad_input_is_one_clear_error():
    X, y = np.zeros((20, 1, 2)), np.zeros(20)
    train, test = R.word_split(20, n_test=5)
    with pytest.raises(ValueError, match="alphas"):
        R.ridge_readout(X, y, train, test, alphas=[0.0])
    with pytest.raises(ValueError, match="overlap"):
        R.ridge_readout(X, y, train | test, test)
    with pytest.raises(ValueError, match="n_test"):
        R.word_split(10, n_test=10)
    with pytest.raises(ValueError, match="n must be"):
        R.rated_vocabulary(0)


def test_rated_vocabulary_is_seeded_and_excludes_words():
    a, b = R.rated_vocabulary(50, seed=3), R.rated_vocabulary(50, seed=3)
    assert a.equals(b) and list(a.columns) == ["word", "valence", "arousal", "dominance"]
    assert a.word.str.fullmatch(r"[a-z]+").all()
    c = R.rated_vocabulary(50, seed=3, exclude=a.word[:10])
    assert not set(a.word[:10]) & set(c.word)


def test_frame_activations_equal_one_frame_at_a_time_with_one_pass_per_template(smol, monkeypatch):
    import importlib

    C = importlib.import_module("helpers.collect")  # the module; `helpers.collect` is also the function

    words = ["happy", "furious", "calm", "table"]
    expected = np.mean([C.collect(smol, [t.format(w) for w in words], pooling=p, layers=[3, 7], cache=False,
                                  words=words if p == "word" else None) for t, p in R.FRAMES], axis=0)
    calls = []
    real = C.collect_many
    monkeypatch.setattr(C, "collect_many", lambda model, prompts, specs, **kw: calls.append(specs) or
                        real(model, prompts, specs, **{**kw, "cache": False}))
    got = R.frame_activations(smol, words, layers=[3, 7])
    assert got.shape == (4, 2, expected.shape[-1]) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    # "Bob feels {}, so Bob" is read with two poolings from one forward pass: 3 passes for 4 frames
    assert len(calls) == 3 and [("resid_post", "last"), ("resid_post", "word")] in calls


def test_readouts_of_several_ratings_equal_one_at_a_time():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 3, 6))
    ratings = {"valence": X[:, 1, 0] + 0.3 * rng.normal(size=120), "arousal": X[:, 2, 3] + rng.normal(size=120)}
    train, test = R.word_split(120, n_test=40, seed=2)
    together = R.ridge_readouts(X, ratings, train, test, n_boot=100, seed=2)
    for name, y in ratings.items():
        alone = R.ridge_readout(X, y, train, test, n_boot=100, seed=2)
        assert (together[name].layer, together[name].alpha) == (alone.layer, alone.alpha)
        np.testing.assert_allclose(together[name].cv_spearman, alone.cv_spearman, atol=1e-12)
        np.testing.assert_allclose(together[name].predictions, alone.predictions, atol=1e-10)
        assert together[name].ci == pytest.approx(alone.ci, abs=1e-12)
    with pytest.raises(ValueError, match="ratings"):
        R.ridge_readouts(X, {}, train, test)
