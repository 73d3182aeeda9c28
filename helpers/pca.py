"""PCA across layers (when does valence become the main axis?) and the geometry of emotion words.

Notebook 02 in functions:

    per_layer = layer_metrics(X, y, layers)        # X [n, L, w]: PC1 AUC, explained variance, silhouette
    emergence_layer(per_layer, threshold=0.9)      # first layer whose PC1 separates valence (AUC >= 0.9)
    words, V = emotion_vectors(X_words, word_of_row)   # one vector per word, mean over templates, centred
    V_clean = project_out(V, top_components(X_neutral, 5))
    geometry = emotion_geometry(V_clean, valence, arousal)   # PC1 ~ valence? PC2 ~ arousal?

Conventions: PCA always centres (``standardize=True`` also divides by each feature's std);
a principal component's sign is arbitrary, so ``pc1_auc`` is sign-free (``max(AUC, 1 - AUC)``)
and plotted coordinates are signed so that the positive class (y = 1) lies to the right /
top. Everything here is unsupervised except those signs and the reported scores.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .runtime import blas_threads


@dataclass
class PCA:
    """A fitted PCA: ``scores = (X - mean) / scale @ components.T``."""

    mean: np.ndarray          # [w]
    scale: np.ndarray         # [w] (ones unless standardised)
    components: np.ndarray    # [k, w], orthonormal rows, by decreasing variance
    explained_variance: np.ndarray        # [k]
    explained_variance_ratio: np.ndarray  # [k], share of the total variance

    def transform(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale) @ self.components.T


def fit_pca(X: np.ndarray, n_components: int = 3, standardize: bool = False) -> PCA:
    """PCA of the rows of ``X`` [n, w] by an eigen-decomposition of the smaller Gram/covariance matrix.

    Component signs are fixed deterministically (the largest-magnitude loading is positive).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be [n >= 2, width], got {X.shape}.")
    mean = X.mean(axis=0)
    scale = X.std(axis=0) if standardize else np.ones(X.shape[1])
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = (X - mean) / scale
    n, w = Z.shape
    k = int(min(n_components, n - 1, w))
    with blas_threads(1):
        if w <= n:  # only the k leading eigenpairs are solved for; the total variance is the trace
            from scipy.linalg import eigh

            gram = Z.T @ Z
            values, vectors = eigh(gram, subset_by_index=[w - k, w - 1])
            values, components = values[::-1], vectors[:, ::-1].T
            total = float(np.trace(gram))
        else:  # few rows: the n x n Gram matrix is cheaper
            values, vectors = np.linalg.eigh(Z @ Z.T)
            order = np.argsort(values)[::-1]
            values, vectors = values[order], vectors[:, order]
            keep = values > 1e-12 * max(values[0], 1e-300)
            components = np.zeros((n, w))
            components[keep] = (Z.T @ vectors[:, keep] / np.sqrt(values[keep])).T
            total = float(np.clip(values, 0.0, None).sum())
    values = np.clip(values, 0.0, None)
    components = components[:k]
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    variance = values[:k] / n
    ratio = values[:k] / total if total > 0 else np.zeros(k)
    return PCA(mean=mean, scale=scale, components=components, explained_variance=variance,
               explained_variance_ratio=ratio)


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC of ``scores`` for labels ``y`` (1 = positive), ties counted half."""
    from scipy.stats import rankdata

    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def silhouette(points: np.ndarray, labels: Sequence, chunk: int = 512) -> float:
    """Mean silhouette coefficient (Euclidean), the same number as ``sklearn.metrics.silhouette_score``.

    Distances from a chunk of rows to each class are computed and summed in float64 (exact
    differences, not the dot-product shortcut), never the whole matrix: 5-10x faster than sklearn.
    """
    import torch

    P = torch.as_tensor(np.asarray(points, dtype=np.float64))
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    if P.ndim != 2 or len(codes) != len(P) or not 2 <= codes.max() + 1 < len(P):
        raise ValueError(f"points must be [n, d] with one label per row and 2..n-1 distinct labels; "
                         f"got {tuple(P.shape)} and {len(set(codes.tolist()))} labels for {len(codes)} rows.")
    codes = torch.as_tensor(codes)
    classes = [P[codes == c] for c in range(int(codes.max()) + 1)]
    counts = torch.tensor([len(members) for members in classes], dtype=torch.float64)
    coefficients = torch.empty(len(P), dtype=torch.float64)
    for start in range(0, len(P), chunk):
        rows = slice(start, start + chunk)
        sums = torch.stack([torch.cdist(P[rows], members, compute_mode="donot_use_mm_for_euclid_dist").sum(1)
                            for members in classes], 1)  # [chunk, classes]
        own = codes[rows]
        a = sums.gather(1, own[:, None])[:, 0] / (counts[own] - 1).clamp(min=1)  # itself is at distance 0
        b = (sums / counts).scatter(1, own[:, None], float("inf")).min(1).values
        s = torch.nan_to_num((b - a) / torch.maximum(a, b))
        coefficients[rows] = torch.where(counts[own] > 1, s, 0.0)  # a class of one scores 0, as in sklearn
    return float(coefficients.mean())


def signfree_auc(scores: np.ndarray, y: np.ndarray) -> float:
    """``max(AUC, 1 - AUC)``: how well one axis separates the classes, whichever its sign."""
    value = auc(scores, y)
    return max(value, 1.0 - value)


def align_signs(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Flip each column of ``scores`` so that class 1 has the higher mean (for stable plots)."""
    scores = np.array(scores, dtype=np.float64)
    y = np.asarray(y).astype(bool)
    for j in range(scores.shape[1]):
        if scores[y, j].mean() < scores[~y, j].mean():
            scores[:, j] *= -1
    return scores


def center_within(X: np.ndarray, groups: Sequence) -> np.ndarray:
    """``X`` [n, ...] minus the mean of its group along axis 0 (e.g. each template's mean over words).

    Prompts built from templates vary far more between templates (length, frame, person) than
    between the words in the slot; removing each template's mean leaves the word-driven part.
    """
    X = np.asarray(X)
    groups = np.asarray(groups)
    if len(groups) != X.shape[0]:
        raise ValueError(f"groups must have one entry per row of X ({X.shape[0]}), got {len(groups)}.")
    _, codes = np.unique(groups, return_inverse=True)
    out = np.empty(X.shape, dtype=np.result_type(X.dtype, np.float32))
    # One group at a time (float64 mean, float64 difference): no [n, ...] float64 temporaries.
    for rows in np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1]):
        block = X[rows].astype(np.float64)
        out[rows] = block - block.sum(axis=0) / len(rows)
    return out.astype(X.dtype, copy=False)


def layer_metrics(X: np.ndarray, y: np.ndarray, layers: Sequence[int], *, n_components: int = 3,
                  standardize: bool = False, silhouette_dims: int = 2,
                  subsets: dict[str, np.ndarray] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Per layer of ``X`` [n, L, w]: a PCA and how well it separates ``y``.

    Returns (table, coords): table rows ``layer, pc1_auc, pc2_auc, best_pc_auc, best_pc,
    ev1..evk (explained-variance ratios), silhouette`` (silhouette of the labels in the plane of
    the first ``silhouette_dims`` PCs, -1..1); coords ``[L, n, 2]``: PC1/PC2 scores per layer,
    signed so that y = 1 has the higher mean. ``subsets`` ({name: row mask}) adds a column
    ``pc1_auc_<name>``: PC1 (fitted on all rows) scored on those rows only.
    """
    X = np.asarray(X)
    y = np.asarray(y).astype(int)
    if X.ndim != 3 or X.shape[1] != len(layers) or X.shape[0] != len(y):
        raise ValueError(f"X must be [n, len(layers)={len(layers)}, w] with n = len(y) = {len(y)}; got {X.shape}.")
    rows, coords = [], []
    for slot, layer in enumerate(layers):
        pca = fit_pca(X[:, slot, :], n_components=max(n_components, 2), standardize=standardize)
        scores = pca.transform(X[:, slot, :])
        aucs = [signfree_auc(scores[:, j], y) for j in range(scores.shape[1])]
        row = {"layer": int(layer), "pc1_auc": aucs[0], "pc2_auc": aucs[1] if len(aucs) > 1 else float("nan"),
               "best_pc_auc": float(max(aucs)), "best_pc": int(np.argmax(aucs)) + 1}
        for name, mask in (subsets or {}).items():
            mask = np.asarray(mask, dtype=bool)
            row[f"pc1_auc_{name}"] = signfree_auc(scores[mask, 0], y[mask])
        for j, ratio in enumerate(pca.explained_variance_ratio[:n_components]):
            row[f"ev{j + 1}"] = float(ratio)
        row["silhouette"] = silhouette(scores[:, :silhouette_dims], y) if len(set(y)) == 2 else float("nan")
        rows.append(row)
        coords.append(align_signs(scores[:, :2], y))
    return pd.DataFrame(rows), np.stack(coords)


def emergence_layer(table: pd.DataFrame, threshold: float = 0.9, column: str = "pc1_auc") -> int | None:
    """The first layer whose ``column`` reaches ``threshold`` (None if no layer does)."""
    hit = table[table[column] >= threshold].sort_values("layer")
    return None if hit.empty else int(hit["layer"].iloc[0])


# ------------------------------------------------------------------ emotion-concept geometry
def emotion_vectors(X: np.ndarray, words: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """One vector per distinct word: the mean of its rows of ``X`` [n, w], minus the mean over words.

    Returns (sorted words, V [n_words, w]). Each word counts once in the centring mean,
    however many rows (templates) it has.
    """
    X = np.asarray(X, dtype=np.float64)
    words = np.asarray(words)
    if X.ndim != 2 or len(words) != X.shape[0]:
        raise ValueError(f"X must be [n, width] with one word per row; got X {X.shape}, {len(words)} words.")
    vocab = sorted(set(words.tolist()))
    index = {w: i for i, w in enumerate(vocab)}
    codes = np.array([index[w] for w in words])
    sums = np.zeros((len(vocab), X.shape[1]))
    np.add.at(sums, codes, X)
    means = sums / np.bincount(codes, minlength=len(vocab))[:, None]
    return vocab, means - means.mean(axis=0)


def top_components(X: np.ndarray, k: int) -> np.ndarray:
    """The top ``k`` principal directions of ``X`` [m, w] (e.g. neutral-text activations), [k, w] orthonormal."""
    if k <= 0:
        return np.zeros((0, np.asarray(X).shape[1]))
    return fit_pca(X, n_components=k).components


def project_out(V: np.ndarray, components: np.ndarray) -> np.ndarray:
    """``V`` minus its projection on the span of the orthonormal rows of ``components``."""
    V = np.asarray(V, dtype=np.float64)
    C = np.asarray(components, dtype=np.float64)
    if C.size == 0:
        return V.copy()
    return V - (V @ C.T) @ C


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / denominator) if denominator > 0 else float("nan")


def _plane_r(scores: np.ndarray, target: np.ndarray) -> float:
    """Multiple correlation R of ``target`` regressed on the columns of ``scores`` (best direction in the plane)."""
    A = np.column_stack([scores, np.ones(len(target))])
    coef, *_ = np.linalg.lstsq(A, target, rcond=None)
    return max(_pearson(A @ coef, target), 0.0)


def emotion_geometry(V: np.ndarray, valence: np.ndarray, arousal: np.ndarray, n_components: int = 3) -> dict:
    """PCA of emotion vectors ``V`` [n_words, w]: are PC1 and PC2 valence and arousal?

    PC1 is signed so that it correlates positively with valence, PC2 with arousal (a PC's sign
    is arbitrary). Returns Pearson r of PC1/PC2 with valence/arousal (``pc1_valence_r``,
    ``pc2_arousal_r``, and the cross terms ``pc1_arousal_r``, ``pc2_valence_r``), the
    explained-variance ratios, ``plane_valence_R`` / ``plane_arousal_R`` (how well the best
    direction in the PC1-PC2 plane predicts each coordinate) and ``scores`` [n_words, 2].
    """
    valence, arousal = np.asarray(valence, dtype=np.float64), np.asarray(arousal, dtype=np.float64)
    pca = fit_pca(V, n_components=max(n_components, 2))
    scores = pca.transform(V)[:, :2]
    if _pearson(scores[:, 0], valence) < 0:
        scores[:, 0] *= -1
    if _pearson(scores[:, 1], arousal) < 0:
        scores[:, 1] *= -1
    return {
        "pc1_valence_r": _pearson(scores[:, 0], valence),
        "pc2_arousal_r": _pearson(scores[:, 1], arousal),
        "pc1_arousal_r": _pearson(scores[:, 0], arousal),
        "pc2_valence_r": _pearson(scores[:, 1], valence),
        "explained_variance_ratio": [float(r) for r in pca.explained_variance_ratio[:n_components]],
        "plane_valence_R": _plane_r(scores, valence),
        "plane_arousal_R": _plane_r(scores, arousal),
        "n_words": int(len(V)),
        "scores": scores,
    }


# ------------------------------------------------------------------ prompts for the emotion words
def emotion_prompts(n_templates: int = 12, seed: int = 0, data_dir=None) -> pd.DataFrame:
    """Every word of ``emotions.csv`` in ``n_templates`` affirmative templates (drawn with ``seed``).

    Columns: word, valence, arousal, quadrant, template_id, prompt. Affirmative templates only:
    under a negation the word's coordinates would not describe the prompt.
    """
    from .data import load_emotions, load_templates

    emotions = load_emotions(data_dir)
    templates = load_templates(data_dir)
    templates = templates[~templates["negation"]].reset_index(drop=True)
    if not 1 <= n_templates <= len(templates):
        raise ValueError(f"n_templates must lie in 1..{len(templates)}, got {n_templates}.")
    chosen = templates.iloc[np.sort(np.random.default_rng([seed, 21]).permutation(len(templates))[:n_templates])]
    rows = [{"word": e.word, "valence": e.valence, "arousal": e.arousal, "quadrant": getattr(e, "quadrant", ""),
             "template_id": t.id, "prompt": t.template.replace("{}", e.word)}
            for e in emotions.itertuples() for t in chosen.itertuples()]
    return pd.DataFrame(rows)


def vocabulary_geometry(X: np.ndarray, ratings: pd.DataFrame, layers, n_components: int = 10,
                        n_boot: int = 1000, seed: int = 0, ci_layers=()) -> pd.DataFrame:
    """PCA of many rated words' vectors ``X`` [words, layers, width] at each layer: |Spearman| of
    PC1 with human valence and of PC2 with human arousal, and which of the top ``n_components``
    PCs follows each axis best. Bootstrap intervals over words at ``ci_layers``."""
    from .readouts import spearman

    rng = np.random.default_rng(seed)
    rows = []
    for slot, layer in enumerate(layers):
        # fit_pca: from the smaller of the Gram and covariance matrices (300 words x 576 in the quick
        # preset: the Gram one), on one BLAS thread (two, on a busy 2-core machine: 10-50x slower)
        scores = fit_pca(X[:, slot], n_components=n_components).transform(X[:, slot])
        row = {"layer": int(layer)}
        for axis, component in (("valence", 0), ("arousal", 1)):
            target = ratings[axis].to_numpy()
            rhos = [abs(spearman(scores[:, c], target)) for c in range(n_components)]
            row[f"pc{component + 1}_{axis}"] = rhos[component]
            row[f"best_pc_{axis}"] = int(np.argmax(rhos)) + 1
            row[f"best_pc_{axis}_spearman"] = float(max(rhos))
            if layer in ci_layers:
                draws = [abs(spearman(scores[i, component], target[i]))
                         for i in (rng.integers(0, len(target), len(target)) for _ in range(n_boot))]
                row[f"pc{component + 1}_{axis}_ci"] = [float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))]
        rows.append(row)
    return pd.DataFrame(rows)
