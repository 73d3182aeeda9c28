"""Figures of notebook 02: valence across depth, the emotion words' plane."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ._common import COLORS


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


def vocabulary_geometry_figure(table, title: str):
    """Per layer: |Spearman| of PC1 with human valence and of PC2 with human arousal, per frame set."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (frames, group) in enumerate(table.groupby("frames", sort=True)):
        for column, dash, label in (("pc1_valence", None, "PC1 ~ human valence"), ("pc2_arousal", "dot", "PC2 ~ human arousal")):
            fig.add_trace(go.Scatter(x=group["layer"], y=group[column], mode="lines+markers", name=f"{frames}: {label}",
                                     line=dict(color=COLORS[i], dash=dash)))
    fig.update_layout(title=title, xaxis_title="layer", yaxis_title="|Spearman| over the rated words",
                      yaxis=dict(range=[0, 1]), height=420)
    return fig
