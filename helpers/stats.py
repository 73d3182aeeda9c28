"""Confidence intervals of accuracies: the plain and the cluster (word / template) bootstrap."""
from __future__ import annotations

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
