"""Continuous read-outs of human ratings: ridge regression from activations to a word's mean
human valence or arousal (Warriner et al., 2013), tested on words never seen in training.

    >>> words = rated_vocabulary(3000, seed=0)                 # rated lemmas, one row per word
    >>> train, test = word_split(len(words), n_test=1000)      # split by word
    >>> X = frame_activations(model, words.word, frames=FRAMES)  # [words, layers, width], frame mean
    >>> result = ridge_readout(X, words.valence.to_numpy(), train, test)
    >>> result.heldout_spearman, result.layer, result.ci

Everything that is chosen (the layer, the ridge strength) is chosen by cross-validation on the
training words only; the held-out words are scored once, at the end. All layers and ridge
strengths are solved together from one eigendecomposition per (layer, fold), so a full sweep
costs a few seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .external_data import human_ratings

# Frames a word is read in; (template, pooling). Neutral frames ask for the word itself, emotion
# frames put it where a feeling goes. A word's vector is the mean over frames of the pooled
# activations (more frames: less of any one context's noise).
FRAMES: tuple[tuple[str, str], ...] = (
    ('The word "{}"', "word"),
    ("Bob feels {}, so Bob", "last"),
    ("Bob feels {}, so Bob", "word"),
    ("It was {}. It", "last"),
)
ALPHAS: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0)
RATED_AXES = ("valence", "arousal", "dominance")


def rated_vocabulary(n: int | None = 3000, *, seed: int = 0, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """``n`` rated lemmas (single lowercase alphabetic words), drawn at random with ``seed``.

    Columns ``word, valence, arousal, dominance``. ``exclude``: words never to draw (e.g. the
    dataset's own adjectives, when the read-out must not have seen them). ``None``: every word.
    """
    ratings = human_ratings()
    ratings = ratings[ratings.word.str.fullmatch(r"[a-z]+") & ~ratings.word.isin(set(exclude))]
    if n is None:
        return ratings.reset_index(drop=True)
    if not 0 < n <= len(ratings):
        raise ValueError(f"n must be between 1 and {len(ratings)} (the rated single words), got {n}.")
    pick = np.sort(np.random.default_rng(seed).choice(len(ratings), n, replace=False))
    return ratings.iloc[pick].reset_index(drop=True)


def word_split(n_words: int, *, n_test: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (train, test) over ``n_words`` words; the test words are never trained on."""
    if not 0 < n_test < n_words:
        raise ValueError(f"n_test must be between 1 and n_words - 1 = {n_words - 1}, got {n_test}.")
    test = np.zeros(n_words, dtype=bool)
    test[np.random.default_rng(seed).choice(n_words, n_test, replace=False)] = True
    return ~test, test


def frame_activations(model, words: Sequence[str], *, frames: Sequence[tuple[str, str]] = FRAMES,
                      hook: str = "resid_post", layers: Sequence[int] | None = None,
                      batch_size: int = 32) -> np.ndarray:
    """Mean over ``frames`` of each word's pooled activations: ``[len(words), layers, width]``.

    Frames that share a template (``FRAMES`` reads "Bob feels {}, so Bob" twice) take their
    poolings from one forward pass; the cache holds one entry per (template, pooling) as before.
    """
    from .collect import collect_many

    words = list(words)
    if not frames:
        raise ValueError("frames is empty: pass at least one (template, pooling) pair, e.g. FRAMES.")
    poolings: dict[str, list[str]] = {}
    for template, pooling in frames:
        if "{}" not in template:
            raise ValueError(f"frame {template!r} has no '{{}}' where the word goes.")
        poolings.setdefault(template, []).append(pooling)
    pooled = {}
    for template, kinds in poolings.items():
        specs = [(hook, pooling) for pooling in dict.fromkeys(kinds)]
        got = collect_many(model, [template.format(word) for word in words], specs, layers=layers,
                           batch_size=batch_size, words=words if "word" in kinds else None)
        pooled.update({(template, pooling): X for (_, pooling), X in got.items()})
    total = None
    for frame in frames:  # the frames' order, so the sum is the same as one frame at a time
        X = pooled[tuple(frame)]
        total = X.astype(np.float64) if total is None else total + X
    return (total / len(frames)).astype(np.float32)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two vectors (average ranks for ties)."""
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / denominator) if denominator > 0 else 0.0


def _ridge_predictions(X_train: np.ndarray, y_train: np.ndarray, X_eval: np.ndarray,
                       alphas: Sequence[float]) -> np.ndarray:
    """Ridge predictions for every layer and alpha: ``[layers, alphas, n_eval]``; for ratings
    ``y_train`` ``[n, k]`` (k ratings of the same rows), ``[k, layers, alphas, n_eval]``.

    Features are standardised on the training rows; one eigendecomposition of the (width x
    width) Gram matrix per layer serves every alpha and every rating.
    """
    Y = np.asarray(y_train, dtype=np.float64).reshape(len(X_train), -1)
    mean = X_train.mean(axis=0, keepdims=True)
    std = X_train.std(axis=0, keepdims=True) + 1e-6
    A = (X_train - mean) / std                    # [n, layers, width]
    B = (X_eval - mean) / std
    Y_centre = Y - Y.mean(axis=0)
    out = np.empty((Y.shape[1], X_train.shape[1], len(alphas), X_eval.shape[0]))
    for layer in range(X_train.shape[1]):
        a, b = A[:, layer].astype(np.float64), B[:, layer].astype(np.float64)
        values, vectors = np.linalg.eigh(a.T @ a)
        projected = vectors.T @ (a.T @ Y_centre)   # [width, k]
        eval_basis = b @ vectors                   # [n_eval, width]
        for j, alpha in enumerate(alphas):
            out[:, layer, j] = (eval_basis @ (projected / (values + alpha)[:, None]) + Y.mean(axis=0)).T
    return out if np.ndim(y_train) > 1 else out[0]


@dataclass
class ReadoutResult:
    """A ridge read-out of one rating: per-layer CV and held-out Spearman, the chosen layer."""

    cv_spearman: np.ndarray            # [layers, alphas], on training words only
    heldout_spearman_by_layer: np.ndarray  # [layers], at each layer's CV-best alpha
    layer: int                         # index into the layers given, chosen by CV
    alpha: float
    heldout_spearman: float            # at the chosen layer and alpha
    ci: tuple[float, float]            # bootstrap over held-out words
    n_train: int
    n_test: int
    predictions: np.ndarray = field(repr=False)  # held-out predictions at the chosen layer

    def as_json(self, layers: Sequence[int] | None = None) -> dict:
        layer_ids = list(layers) if layers is not None else list(range(len(self.heldout_spearman_by_layer)))
        return {"layer": int(layer_ids[self.layer]), "alpha": self.alpha,
                "heldout_spearman": self.heldout_spearman, "ci": list(self.ci),
                "cv_spearman": float(self.cv_spearman.max()), "n_train": self.n_train, "n_test": self.n_test,
                "heldout_by_layer": {str(l): float(s) for l, s in zip(layer_ids, self.heldout_spearman_by_layer)}}


def ridge_readout(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray, *,
                  alphas: Sequence[float] = ALPHAS, folds: int = 5, seed: int = 0,
                  n_boot: int = 1000) -> ReadoutResult:
    """Ridge from ``X`` ``[words, layers, width]`` to ratings ``y``; layer and alpha chosen by
    ``folds``-fold CV on the ``train`` words (Spearman), then scored once on ``test``."""
    return ridge_readouts(X, {"y": y}, train, test, alphas=alphas, folds=folds, seed=seed, n_boot=n_boot)["y"]


def ridge_readouts(X: np.ndarray, ratings: dict[str, np.ndarray], train: np.ndarray, test: np.ndarray, *,
                   alphas: Sequence[float] = ALPHAS, folds: int = 5, seed: int = 0,
                   n_boot: int = 1000) -> dict[str, ReadoutResult]:
    """``ridge_readout`` of several ratings of the same words (e.g. valence and arousal) at once:
    the same folds and the same eigendecompositions serve every rating; each result is the one
    ``ridge_readout`` gives for that rating alone."""
    names = list(ratings)
    X = np.asarray(X)
    Y = np.stack([np.asarray(ratings[name], dtype=np.float64) for name in names], axis=1) if names else None
    if Y is None or X.ndim != 3 or len(X) != len(Y) or Y.ndim != 2:
        raise ValueError(f"X must be [words, layers, width] with one row per rating and ratings a non-empty "
                         f"{{name: [words]}}; got {X.shape} and {None if Y is None else Y.shape}.")
    if not alphas or min(alphas) <= 0:
        raise ValueError(f"alphas must be positive ridge strengths, got {alphas}.")
    train, test = np.asarray(train, bool), np.asarray(test, bool)
    if (train & test).any():
        raise ValueError("train and test words overlap: split by word (word_split).")
    train_idx = np.flatnonzero(train)
    if folds < 2 or len(train_idx) < 2 * folds:
        raise ValueError(f"folds must be >= 2 with at least 2 training words per fold; got folds={folds}, "
                         f"{len(train_idx)} training words.")
    fold_of = np.random.default_rng(seed).permutation(len(train_idx)) % folds
    cv = np.zeros((len(names), X.shape[1], len(alphas)))
    for fold in range(folds):
        fit, held = train_idx[fold_of != fold], train_idx[fold_of == fold]
        predictions = _ridge_predictions(X[fit], Y[fit], X[held], alphas)
        cv += np.array([[[spearman(p, Y[held, k]) for p in row] for row in predictions[k]]
                        for k in range(len(names))]) / folds
    final = _ridge_predictions(X[train], Y[train], X[test], alphas)
    return {name: _scored(cv[k], final[k], Y[test, k], train, test, alphas, seed, n_boot)
            for k, name in enumerate(names)}


def _scored(cv, final, y_test, train, test, alphas, seed, n_boot) -> ReadoutResult:
    """The CV choice (layer, then alpha) and its held-out score with a bootstrap interval."""
    best_alpha = cv.argmax(axis=1)
    by_layer = np.array([spearman(final[layer, best_alpha[layer]], y_test) for layer in range(cv.shape[0])])
    layer = int(cv.max(axis=1).argmax())
    chosen = final[layer, best_alpha[layer]]
    rng = np.random.default_rng(seed)
    boots = [spearman(chosen[s], y_test[s]) for s in (rng.integers(0, len(y_test), len(y_test)) for _ in range(n_boot))]
    return ReadoutResult(cv_spearman=cv, heldout_spearman_by_layer=by_layer, layer=layer,
                         alpha=float(alphas[best_alpha[layer]]), heldout_spearman=spearman(chosen, y_test),
                         ci=(float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))),
                         n_train=int(train.sum()), n_test=int(test.sum()), predictions=chosen)
