"""Notebook 03's layer sweep as batched fits: every layer of one (hook, pooling) in one solve.

For one matrix of activations ``X`` [prompts, layers, width] and one split (``helpers.data.splits``),
``sweep_layers`` returns the rows ``helpers.evaluation.evaluate_config`` returns for a single
layer, for every layer at once: the crossed-CV choice of C on ``train`` (all folds x all C values
x all layers: one batch of independent problems), the probe refit on ``train`` with each layer's
C and scored on E1-E4, and the same for negation transfer and affirmative templates only (C from
CV on the affirmative training rows). No test row enters a fit, a C choice or the preconditioner
(``principal_basis`` of the training rows).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .probe_solver import cv_accuracy_grid, decision_scores, fit_layers, principal_basis
from .probes import C_GRID, _folds, best_C, check_Cs

HELD_OUT = ("E1", "E2", "E3", "E4")


def cv_groups(df: pd.DataFrame) -> np.ndarray:
    """[n, 2] (adjective, template pattern): CV folds crossed on both, so validation rows have an
    unseen word in an unseen context, like split E4 (the hardest of E1-E4)."""
    pattern = df["pattern"] if "pattern" in df.columns else df["template_id"]
    return np.column_stack([df["adjective"].astype(str).to_numpy(), pattern.astype(str).to_numpy()])


def choose_C_by_layer(X, y, rows, groups, *, Cs, folds, seed, basis, device=None):
    """(C [L], validation accuracy [L]) by crossed CV on ``rows`` (global indices), every layer at once."""
    split = [(rows[tr], rows[va]) for tr, va in _folds(y[rows], groups[rows], folds, seed)]
    correct, total = cv_accuracy_grid(X, y, split, Cs, basis=basis, device=device)
    if total == 0:
        raise ValueError("Cross-validation found no fold with both classes in its training part.")
    score = correct / total
    best = np.array([best_C(layer_score, Cs) for layer_score in score])
    return np.asarray(Cs)[best], score[np.arange(len(best)), best]


def predictions(fit: dict, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """0/1 predictions [len(rows), L] of the per-layer probes of ``fit_layers`` on ``X[rows]``."""
    return (decision_scores(X, rows, fit["mean"], fit["scale"], fit["coef"], fit["intercept"]) > 0).astype(np.int64)


def sweep_layers(X: np.ndarray, df: pd.DataFrame, parts: dict[str, np.ndarray], *, Cs: Sequence[float] = C_GRID,
                 folds: int = 3, seed: int = 0, variants: Sequence[str] = ("all", "affirmative_only"),
                 device=None, keep: dict | None = None) -> list[list[dict]]:
    """Accuracy rows (variant, split, accuracy, n_test, n_train, C) of every layer of ``X`` [n, L, width].

    Returns one list of rows per layer, in the order of ``X``'s layer axis. With a dict ``keep``,
    it also receives ``keep[(variant, split)] = (test rows, correct [rows, L])`` for every scored
    split and ``keep["fit"]``: the probes fit on ``train`` (``fit_layers``' dict, with ``C``).
    """
    Cs = check_Cs(Cs)
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[0] != len(df):
        raise ValueError(f"X must be [prompts, layers, width] with one row per prompt of df ({len(df)}); got {X.shape}.")
    L = X.shape[1]
    y = df["y"].to_numpy().astype(np.int64)
    groups = cv_groups(df)
    affirmative = ~df["negation"].to_numpy().astype(bool)
    train = np.flatnonzero(parts["train"])
    out: list[list[dict]] = [[] for _ in range(L)]
    basis = principal_basis(X, train)

    def add(variant, split, acc, n_test, n_train, C):
        for layer in range(L):
            out[layer].append(dict(variant=variant, split=split, accuracy=float(acc[layer]), n_test=int(n_test),
                                   n_train=int(n_train), C=float(C[layer])))

    def score(fit, mask, variant, split):
        rows = np.flatnonzero(mask)
        if not len(rows):
            return np.full(L, np.nan)
        correct = predictions(fit, X, rows) == y[rows][:, None]
        if keep is not None:
            keep[(variant, split)] = (rows, correct)
        return correct.mean(axis=0)

    C, val = choose_C_by_layer(X, y, train, groups, Cs=Cs, folds=folds, seed=seed, basis=basis, device=device)
    fit = fit_layers(X, y, C, rows=train, basis=basis, device=device)
    if keep is not None:
        keep["fit"] = {**fit, "C": C}
    add("all", "validation", val, len(train), len(train), C)
    for split in HELD_OUT:
        add("all", split, score(fit, parts[split], "all", split), parts[split].sum(), len(train), C)
    train_aff = np.flatnonzero(parts["train"] & affirmative)
    if parts["negation_transfer"].any() and len(train_aff) >= 2 * folds and len(np.unique(y[train_aff])) == 2:
        C_aff, val_aff = choose_C_by_layer(X, y, train_aff, groups, Cs=Cs, folds=folds, seed=seed, basis=basis,
                                           device=device)
        nt_train = np.flatnonzero(parts["train_negation_transfer"])
        nt = fit_layers(X, y, C_aff, rows=nt_train, basis=basis, device=device)
        add("all", "negation_transfer", score(nt, parts["negation_transfer"], "all", "negation_transfer"),
            parts["negation_transfer"].sum(), len(nt_train), C_aff)
        if "affirmative_only" in variants:
            aff = fit_layers(X, y, C_aff, rows=train_aff, basis=basis, device=device)
            add("affirmative_only", "validation", val_aff, len(train_aff), len(train_aff), C_aff)
            for split in HELD_OUT:
                test = parts[split] & affirmative
                add("affirmative_only", split, score(aff, test, "affirmative_only", split), test.sum(),
                    len(train_aff), C_aff)
    return out
