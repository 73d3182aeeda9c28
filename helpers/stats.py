"""Confidence intervals: the bootstrap of an accuracy (plain, or by clusters of words and templates)
and the t-interval of a mean."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def bootstrap_ci(correct: Sequence[float], n_boot: int = 2000, seed: int = 0, level: float = 0.95,
                 clusters: Sequence[Sequence] | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``correct`` (0/1 per row).

    ``clusters=None`` resamples rows. Otherwise ``clusters`` is a list of label arrays (each as
    long as ``correct``), e.g. ``[adjective, template_pattern]``: every replicate draws the levels
    of each factor with replacement and weights a row by the product of how often its levels were
    drawn. Rows that share a word (or a template) are not independent evidence, so with 10
    held-out words the interval is about the words, not only about the 600 rows they fill.
    Replicates in which no row keeps a positive weight are skipped.
    """
    correct = np.asarray(correct, dtype=np.float64).ravel()
    if correct.size == 0:
        raise ValueError("bootstrap_ci needs at least one value.")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    if clusters is None:
        means = correct[rng.integers(0, correct.size, size=(n_boot, correct.size))].mean(axis=1)
    else:
        weights = np.ones((n_boot, correct.size))
        for factor in clusters:
            factor = np.asarray(factor).ravel()
            if factor.size != correct.size:
                raise ValueError(f"each cluster label array needs {correct.size} entries, got {factor.size}")
            levels, codes = np.unique(factor.astype(str), return_inverse=True)
            draws = rng.multinomial(len(levels), np.full(len(levels), 1 / len(levels)), size=n_boot)
            weights *= draws[:, codes]
        total = weights.sum(axis=1)
        keep = total > 0
        means = (weights[keep] @ correct) / total[keep]
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of the mean, NaNs ignored; (nan, nan, nan) if empty."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if values.size == 1:
        return mean, float("nan"), float("nan")
    sem = float(values.std(ddof=1) / np.sqrt(values.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1)) * sem
    return mean, mean - half, mean + half


def accuracy_summary(pred: Sequence[int], y: Sequence[int], hard: Sequence[bool] | None = None,
                     seed: int = 0, n_boot: int = 2000) -> dict:
    """accuracy, ci_low, ci_high (bootstrap 95%), answered_positive, and accuracy_hard when ``hard`` is given."""
    pred, y = np.asarray(pred), np.asarray(y)
    correct = (pred == y).astype(float)
    low, high = bootstrap_ci(correct, n_boot=n_boot, seed=seed)
    result = {"accuracy": float(correct.mean()), "ci_low": low, "ci_high": high, "n": int(len(y)),
              "answered_positive": float((pred == 1).mean())}
    if hard is not None:
        hard = np.asarray(hard, dtype=bool)
        result["accuracy_hard"] = float(correct[hard].mean()) if hard.any() else math.nan
        result["accuracy_easy"] = float(correct[~hard].mean()) if (~hard).any() else math.nan
    return result
