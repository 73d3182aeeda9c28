"""The batched logistic-regression solver against sklearn: exact small cases, and every (layer, C) of
the crossed CV on real activations of both models."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from helpers.probe_solver import cv_accuracy_grid, fit_layers, principal_basis, solve
from helpers.probes import C_GRID, _folds, _standardiser, cross_validate_C, train_probe


def sklearn_fit(Z, y, C):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, tol=1e-10, max_iter=20000).fit(Z, y)


def toy(seed=0, n=150, d=12):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))  # correlated columns
    y = (Z[:, 0] - 0.5 * Z[:, 1] + rng.normal(size=n) > 0).astype(int)
    return (Z - Z.mean(0)) / Z.std(0), y


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_small_problems_match_sklearn(dtype):
    # three groups x three C values in one batch, with and without the preconditioner
    data = [toy(seed) for seed in range(3)]
    Z, y = np.stack([z for z, _ in data]), np.stack([t for _, t in data])
    Cs = [0.01, 1.0, 10.0]
    for basis in (None, torch.linalg.svd(torch.as_tensor(Z), full_matrices=False)[2][:, :4].transpose(1, 2)):
        coef, intercept, info = solve(Z, y, Cs, basis=basis, tol=1e-7, dtype=dtype)
        assert info.converged.all()
        for g, (Zg, yg) in enumerate(data):
            for k, C in enumerate(Cs):
                ref = sklearn_fit(Zg, yg, C)
                scale = np.abs(ref.coef_).max()
                np.testing.assert_allclose(coef[g, k], ref.coef_[0], atol=2e-5 * scale)
                assert intercept[g, k] == pytest.approx(ref.intercept_[0], abs=2e-5 * max(1, scale))


def test_padding_rows_and_warm_starts_do_not_move_the_optimum():
    Z, y = toy(1)
    alone, b_alone, _ = solve(Z[None], y[None], [0.5], tol=1e-8, dtype=torch.float64)
    padded = np.concatenate([Z, np.random.default_rng(2).normal(size=(40, Z.shape[1]))])[None]
    weight = np.r_[np.ones(len(Z)), np.zeros(40)][None]
    coef, b, _ = solve(padded, np.r_[y, np.ones(40)][None], [0.5], weight=weight, tol=1e-8, dtype=torch.float64)
    np.testing.assert_allclose(coef, alone, atol=1e-6)
    warm, b_warm, info = solve(Z[None], y[None], [0.5], init=(alone, b_alone), tol=1e-8, dtype=torch.float64)
    np.testing.assert_allclose(warm, alone, atol=1e-6)
    assert info.n_iter.max() <= 1  # started at the optimum


def test_fit_layers_is_train_probe():
    Z, y = toy(3, d=8)
    X = np.stack([Z * 3 + 1, Z[:, ::-1]], axis=1)  # two "layers"
    fit = fit_layers(X, y, [0.1, 1.0], tol=1e-7)
    for layer, C in enumerate((0.1, 1.0)):
        probe = train_probe(X[:, layer], y, axis="valence", hook="h", pooling="p", layer=layer, C=C)
        np.testing.assert_allclose(probe.coef, fit["coef"][layer], atol=2e-3 * np.abs(fit["coef"][layer]).max())
        mean, scale = _standardiser(X[:, layer])
        np.testing.assert_allclose(fit["mean"][layer], mean, atol=1e-6)
        np.testing.assert_allclose(fit["scale"][layer], scale, rtol=1e-6)


def test_bad_input_names_the_parameter():
    Z, y = toy(0)
    with pytest.raises(ValueError, match="C must hold positive"):
        solve(Z[None], y[None], [0.1, 0.0])
    with pytest.raises(ValueError, match="Cs must be"):
        cross_validate_C(Z, y, Cs=(0.1, -1.0))
    with pytest.raises(ValueError, match="Cs must be"):
        cross_validate_C(Z, y, Cs=())
    with pytest.raises(ValueError, match="Cs must be"):
        cross_validate_C(Z, y, Cs=(0.1, "1"))
    with pytest.raises(ValueError, match="C must be"):
        train_probe(Z, y, axis="valence", hook="h", pooling="p", layer=0, C=0.0)
    words = np.repeat(np.arange(2), 75)          # 2 words, 3 folds requested
    patterns = np.tile(np.arange(5), 30)
    with pytest.raises(ValueError, match=r"folds=3 .*words"):
        cross_validate_C(Z, y, groups=np.column_stack([words, patterns]))
    with pytest.raises(ValueError, match=r"folds=3 .*patterns"):
        cross_validate_C(Z, y, groups=np.column_stack([patterns, words]))
    with pytest.raises(ValueError, match=r"folds=3 .*groups"):
        cross_validate_C(Z, y, groups=words)
    with pytest.raises(ValueError, match="folds must be"):
        cross_validate_C(Z, y, folds=1)


# ------------------------------------------------------------------ real activations, both models
def near_tie(score: np.ndarray, total: int) -> bool:
    """The best two C values of a CV grid are within one validation row of each other."""
    top = np.sort(score)[::-1]
    return len(top) > 1 and (top[0] - top[1]) * total <= 1 + 1e-9


@pytest.mark.parametrize("model_name", ["smollm2-135m", "gemma3-270m"])
def test_cv_grid_matches_sklearn_on_real_activations(model_name):
    """Every (layer, C) CV accuracy within 0.005 of sklearn's (converged: tol 1e-10), the chosen C the
    same unless sklearn's best two are within one validation row (a near-tie: either is accepted)."""
    from helpers import evaluation as E
    from helpers import load_model

    model = load_model(model_name, device="cpu")
    n = model.cfg.n_layers
    layers = [n // 4, n // 2, 3 * n // 4]
    df, parts = E.prompt_set("valence", n_templates=16, n_adjectives=20, seed=0)
    acts = E.prompt_activations(model, df, hooks=["resid_post"], poolings=["mean"], layers=layers, progress=False)
    X = acts[("resid_post", "mean")]
    y = df["y"].to_numpy().astype(int)
    train = np.flatnonzero(parts["train"])
    split = [(train[a], train[v]) for a, v in _folds(y[train], E.cv_groups(df)[train], 3, 0)]
    correct, total = cv_accuracy_grid(X, y, split, C_GRID, basis=principal_basis(X, train))
    ours = correct / total
    reference = np.zeros_like(ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for slot in range(len(layers)):
            for a, v in split:
                mean, scale = _standardiser(X[a, slot])
                for k, C in enumerate(C_GRID):
                    fit = sklearn_fit((X[a, slot] - mean) / scale, y[a], C)
                    reference[slot, k] += (fit.predict((X[v, slot] - mean) / scale) == y[v]).sum()
    reference /= total
    assert np.abs(ours - reference).max() <= 0.005, (ours, reference)
    for slot in range(len(layers)):
        if not near_tie(reference[slot], total):
            assert ours[slot].argmax() == reference[slot].argmax()
