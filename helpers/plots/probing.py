"""Figures of notebook 03: probe accuracy by layer, hook and pooling; directions; words."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..data import SPLIT_NAMES
from ..evaluation import cosine
from ..probes import Probe
from ._common import COLORS

def human_readout_figure(human: dict):
    """Each saved probe's mean read-out of unseen adjectives against the words' human rating of its axis
    (Warriner et al. 2013, 1-9), one panel per axis, one point per rated word."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    def name(axis, r):
        rho = "n/a" if r["spearman"] is None else f"{r['spearman']:.2f} [{r['ci'][0]:.2f}, {r['ci'][1]:.2f}]"
        return f"{axis}: Spearman {rho}, {r['n_words']} words"

    axes = list(human)
    fig = make_subplots(rows=1, cols=len(axes), subplot_titles=[name(a, human[a]) for a in axes])
    for col, axis in enumerate(axes, start=1):
        rated = human[axis]["per_word"].dropna(subset=["human"])
        fig.add_trace(go.Scatter(x=rated["human"], y=rated["score"], mode="markers", text=rated["adjective"],
                                 name=axis, marker=dict(color=COLORS[col - 1]), showlegend=False,
                                 hovertemplate="%{text}<br>human %{x:.2f}<br>read-out %{y:.2f}<extra></extra>"),
                      row=1, col=col)
        fig.update_xaxes(title_text=f"human {axis} (Warriner et al. 2013, 1-9)", row=1, col=col)
        fig.update_yaxes(title_text=f"mean {axis} probe read-out", row=1, col=col)
    fig.update_layout(title="Do the binary probes rank unseen words like human raters?", height=430)
    return fig


def word_accuracy_figure(words: pd.DataFrame, *, title: str):
    """Per-word leave-one-word-out accuracy (``word_accuracy``): affirmative and negated rows of the
    labels-by-meaning probe, and the affirmative-only probe, worst words on the left."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for column, name, color in (("affirmative", "affirmative rows (probe on all rows)", "#1f77b4"),
                                ("negated", "negated rows (probe on all rows)", "#d62728"),
                                ("affirmative_only", "affirmative rows (probe on affirmative rows)", "#7f7f7f")):
        fig.add_bar(x=words["adjective"], y=words[column], name=name, marker_color=color,
                    hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>")
    fig.update_layout(title=title, barmode="group", height=460, yaxis=dict(title="accuracy", range=[0, 1.02]),
                      xaxis=dict(title="held-out word (worst first)", tickangle=-60), legend=dict(orientation="h", y=-0.45))
    return fig

def heatmap_figure(table: pd.DataFrame, axis: str, hook: str, *, variant: str = "all",
                   splits: Sequence[str] = ("validation",) + SPLIT_NAMES, title: str | None = None):
    """Accuracy as heatmaps layer x pooling, one panel per split (``hook`` fixed)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    t = table[(table["axis"] == axis) & (table["variant"] == variant) & (table["hook"] == hook)]
    splits = [s for s in splits if s in set(t["split"])]
    fig = make_subplots(rows=len(splits), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[f"{s} ({'crossed CV on train' if s == 'validation' else 'test'})"
                                        for s in splits])
    for row, split in enumerate(splits, start=1):
        z = t[t["split"] == split].pivot_table(index="pooling", columns="layer", values="accuracy")
        fig.add_trace(go.Heatmap(z=z.to_numpy(), x=list(z.columns), y=list(z.index), coloraxis="coloraxis",
                                 hovertemplate=f"{split}<br>layer %{{x}}<br>pooling %{{y}}<br>accuracy %{{z:.3f}}"
                                               "<extra></extra>"), row, 1)
    fig.update_xaxes(title_text="layer (0 = first block)", row=len(splits), col=1)
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=0.0, cmax=1.0, colorbar=dict(title="accuracy")),
                      height=150 * len(splits) + 120,
                      title=title or f"{axis} ({variant.replace('_', ' ')}): probe accuracy by layer and pooling, {hook}")
    return fig

def layer_curves_figure(table: pd.DataFrame, axis: str, hook: str, pooling: str, *, title: str | None = None):
    """Accuracy against layer for one (hook, pooling): one line per split, dotted = affirmative only."""
    import plotly.graph_objects as go

    t = table[(table["axis"] == axis) & (table["hook"] == hook) & (table["pooling"] == pooling)]
    fig = go.Figure()
    for (variant, split), g in t.groupby(["variant", "split"], sort=False):
        g = g.sort_values("layer")
        fig.add_trace(go.Scatter(x=g["layer"], y=g["accuracy"], mode="lines+markers",
                                 name=f"{split}" + (" (affirmative only)" if variant != "all" else ""),
                                 line=dict(dash="dot" if variant != "all" else "solid")))
    fig.add_hline(y=0.5, line_dash="dash", line_color="grey", annotation_text="chance")
    fig.update_layout(title=title or f"{axis}: accuracy over depth ({hook}, {pooling} pooling)",
                      xaxis_title="layer", yaxis_title="accuracy", yaxis_range=[0, 1.02], height=460)
    return fig

def plane_figure(points: pd.DataFrame, *, title: str, x_label: str, y_label: str):
    """Scatter of read-outs: columns x, y, group (colour), negated (symbol), prompt (hover)."""
    import plotly.express as px

    fig = px.scatter(points, x="x", y="y", color="group", symbol="negated", hover_name="prompt", opacity=0.6,
                     title=title, labels={"x": x_label, "y": y_label, "group": "prompt set : label",
                                          "negated": "negated"})
    fig.add_hline(y=0, line_color="grey", line_width=1)
    fig.add_vline(x=0, line_color="grey", line_width=1)
    fig.update_layout(height=560)
    return fig

def cosine_figure(probes: Sequence[Probe], *, title: str):
    """Heatmap of cosines between probe directions (same width only)."""
    import plotly.graph_objects as go

    names = [f"{p.axis}/{p.kind}" for p in probes]
    M = np.array([[cosine(a.direction, b.direction) if a.direction.shape == b.direction.shape else np.nan
                   for b in probes] for a in probes])
    fig = go.Figure(go.Heatmap(z=M, x=names, y=names, zmin=-1, zmax=1, colorscale="RdBu", text=np.round(M, 2),
                               texttemplate="%{text}", colorbar=dict(title="cosine"),
                               hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title, height=520, yaxis_autorange="reversed")
    return fig


def vader_readout_figure(vader: dict):
    """The valence read-out of unseen adjectives against VADER's human rating, one point per word."""
    import plotly.express as px

    return px.scatter(vader["per_word"].dropna(), x="vader", y="score", hover_name="adjective",
                      title=f"Does the probe rank unseen words like human raters? Spearman {vader['spearman']:.2f} "
                            f"({vader['n_words']} words)",
                      labels={"vader": "VADER rating (-4..4)", "score": "mean probe read-out"})
