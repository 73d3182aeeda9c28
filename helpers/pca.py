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
        if w <= n:
            values, vectors = np.linalg.eigh(Z.T @ Z)
            order = np.argsort(values)[::-1]
            values, components = values[order], vectors[:, order].T
        else:  # few rows: the n x n Gram matrix is cheaper
            values, vectors = np.linalg.eigh(Z @ Z.T)
            order = np.argsort(values)[::-1]
            values, vectors = values[order], vectors[:, order]
            keep = values > 1e-12 * max(values[0], 1e-300)
            components = np.zeros((n, w))
            components[keep] = (Z.T @ vectors[:, keep] / np.sqrt(values[keep])).T
    values = np.clip(values, 0.0, None)
    total = values.sum()
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
    sums = np.zeros((codes.max() + 1,) + X.shape[1:], dtype=np.float64)
    np.add.at(sums, codes, X)
    means = sums / np.bincount(codes)[(slice(None),) + (None,) * (X.ndim - 1)]
    return (X - means[codes]).astype(X.dtype, copy=False)


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
    from sklearn.metrics import silhouette_score

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
        with blas_threads(1):
            row["silhouette"] = float(silhouette_score(scores[:, :silhouette_dims], y)) if len(set(y)) == 2 else float("nan")
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


# ------------------------------------------------------------------ figures
def scale_coords(coords: np.ndarray) -> np.ndarray:
    """Divide each layer's [n, 2] coordinates by that layer's PC1 standard deviation (shape kept)."""
    coords = np.asarray(coords, dtype=np.float64)
    std = coords[:, :, 0].std(axis=1)
    return coords / np.where(std > 0, std, 1.0)[:, None, None]


def layer_slider_figure(coords: np.ndarray, layers: Sequence[int], y: np.ndarray, negation: np.ndarray,
                        hover: Sequence[str], *, title: str, class_names=("negative", "positive"),
                        max_points: int = 600, seed: int = 0, active: int | None = None):
    """PC1 x PC2 scatter of the prompts with a slider over layers; colour = class, symbol = negation.

    Each layer's coordinates are divided by its PC1 std (depth changes the scale, not the shape).
    ``active``: index (into ``layers``) of the layer shown first (default: the last one).
    """
    import plotly.graph_objects as go

    coords = scale_coords(coords)
    active = len(layers) - 1 if active is None else int(active)
    y, negation, hover = np.asarray(y).astype(int), np.asarray(negation).astype(bool), np.asarray(hover)
    keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:max_points])
    colours = {0: "#d62728", 1: "#1f77b4"}
    fig = go.Figure()
    groups = [(c, n) for c in (1, 0) for n in (False, True)]
    for slot, layer in enumerate(layers):
        for c, n in groups:
            rows = keep[(y[keep] == c) & (negation[keep] == n)]
            fig.add_trace(go.Scattergl(
                x=coords[slot, rows, 0], y=coords[slot, rows, 1], mode="markers", text=hover[rows],
                name=f"{class_names[c]}, {'negated' if n else 'affirmative'}", legendgroup=f"{c}{n}",
                showlegend=slot == active, visible=slot == active,
                marker=dict(color=colours[c], symbol="x" if n else "circle", size=6, opacity=0.6),
                hovertemplate="%{text}<extra></extra>"))
    steps = []
    for slot, layer in enumerate(layers):
        visible = [s == slot for s in range(len(layers)) for _ in groups]
        steps.append(dict(method="update", label=str(layer), args=[{"visible": visible}]))
    fig.update_layout(
        title=title, height=600, legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0),
        margin=dict(t=110),
        sliders=[dict(active=active, steps=steps, currentvalue=dict(prefix="layer "), pad=dict(t=50))],
        xaxis=dict(title="PC1 (in units of its std at this layer)", range=[-4, 4], zeroline=True),
        yaxis=dict(title="PC2 (same units)", range=[-4, 4], zeroline=True))
    return fig


def emergence_figure(per_layer: pd.DataFrame, threshold: float, *, title: str):
    """Three panels over depth, one colour per hook: PC1's AUC for valence (solid: template-centred,
    all prompts; dotted: template-centred, affirmative prompts; dashed: plain PCA), the explained
    variance of PC1-PC3 and the silhouette (both template-centred when that column exists)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08, subplot_titles=(
        "PC1 AUC for valence", "variance: PC1 -, PC2 --, PC3 ..", "silhouette (PC1-PC2)"))
    has_centering = "centering" in per_layer.columns
    main = per_layer[per_layer["centering"] == "template"] if has_centering else per_layer
    for i, ((hook, pooling), t) in enumerate(main.groupby(["hook", "pooling"], sort=False)):
        colour, name = palette[i % len(palette)], f"{hook}, {pooling}"
        t = t.sort_values("layer")
        label = " (template-centred)" if has_centering else ""
        fig.add_trace(go.Scatter(x=t["layer"], y=t["pc1_auc"], mode="lines+markers", name=f"{name}{label}",
                                 line=dict(color=colour)), 1, 1)
        if "pc1_auc_affirmative" in t:
            fig.add_trace(go.Scatter(x=t["layer"], y=t["pc1_auc_affirmative"], mode="lines",
                                     name=f"{name}, affirmative prompts", line=dict(color=colour, dash="dot")), 1, 1)
        if has_centering:
            plain = per_layer[(per_layer["centering"] == "none") & (per_layer["hook"] == hook)
                              & (per_layer["pooling"] == pooling)].sort_values("layer")
            fig.add_trace(go.Scatter(x=plain["layer"], y=plain["pc1_auc"], mode="lines", name=f"{name}, plain PCA",
                                     line=dict(color=colour, dash="dash", width=1)), 1, 1)
        for j, dash in ((1, "solid"), (2, "dash"), (3, "dot")):
            if f"ev{j}" in t:
                fig.add_trace(go.Scatter(x=t["layer"], y=t[f"ev{j}"], mode="lines", showlegend=False,
                                         name=f"{name} PC{j}", line=dict(color=colour, dash=dash)), 1, 2)
        fig.add_trace(go.Scatter(x=t["layer"], y=t["silhouette"], mode="lines+markers", showlegend=False,
                                 name=f"{name} silhouette", line=dict(color=colour)), 1, 3)
    fig.add_hline(y=threshold, line_dash="dash", line_color="grey", row=1, col=1)
    for col, label in ((1, "AUC (0.5 = chance)"), (2, "share of variance"), (3, "silhouette (-1..1)")):
        fig.update_xaxes(title_text="layer", row=1, col=col)
        fig.update_yaxes(title_text=label, row=1, col=col)
    fig.update_layout(title=title, height=520, legend=dict(orientation="h", y=-0.25))
    return fig


def geometry_figure(words: Sequence[str], panels: dict[str, dict], valence: np.ndarray, arousal: np.ndarray, *,
                    title: str):
    """Emotion words in their PC1-PC2 plane, one panel per variant (e.g. raw / neutral PCs removed).

    ``panels[name]`` is an ``emotion_geometry`` result; colour = circumplex valence, size ~ arousal.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(panels)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[
        f"{n.replace('_', ' ')}<br>r(PC1, valence) = {panels[n]['pc1_valence_r']:.2f}, "
        f"r(PC2, arousal) = {panels[n]['pc2_arousal_r']:.2f}" for n in names])
    arousal = np.asarray(arousal, dtype=float)
    hover = [f"{w}<br>valence {v:+.2f}, arousal {a:+.2f}" for w, v, a in zip(words, valence, arousal)]
    for col, name in enumerate(names, start=1):
        scores = panels[name]["scores"]
        fig.add_trace(go.Scatter(
            x=scores[:, 0], y=scores[:, 1], mode="markers+text", text=list(words), textposition="top center",
            textfont=dict(size=8), hovertext=hover, hoverinfo="text", showlegend=False,
            marker=dict(color=valence, colorscale="RdBu", cmin=-1, cmax=1, size=6 + 6 * (arousal + 1),
                        colorbar=dict(title="circumplex<br>valence") if col == 1 else None,
                        showscale=col == 1, line=dict(width=0.5, color="black"))), 1, col)
        fig.update_xaxes(title_text="PC1 (signed to correlate with valence)", row=1, col=col)
        fig.update_yaxes(title_text="PC2 (signed to correlate with arousal)", row=1, col=col)
    fig.update_layout(title=title + "<br><sup>colour = circumplex valence, marker size = circumplex arousal</sup>",
                      height=660, margin=dict(t=140))
    return fig
