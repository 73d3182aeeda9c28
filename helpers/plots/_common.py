"""Shared pieces of the figures: the palette, HTML escaping of hover text, bands and point clouds."""
from __future__ import annotations

import numpy as np

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def html_escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", " ")


def band(fig, x, mean, low, high, name, color, row=None, col=None, showlegend=True, dash=None):
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                             fillcolor=color, opacity=0.18, line=dict(width=0), hoverinfo="skip",
                             showlegend=False, legendgroup=name), **kwargs)
    fig.add_trace(go.Scatter(x=list(x), y=list(mean), mode="lines+markers", name=name, legendgroup=name,
                             line=dict(color=color, dash=dash), showlegend=showlegend,
                             hovertemplate=f"{name}<br>alpha %{{x}}<br>mean %{{y:.3f}}<extra></extra>"), **kwargs)


def points(fig, df, metric, color, row=None, col=None, name="continuations"):
    """Individual continuations as faint jittered points; hover shows prompt and text."""
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(df))
    hover = [f"{html_escape(p)}<b>{html_escape(t[:160])}</b>" for p, t in zip(df["prompt"], df["text"])]
    fig.add_trace(go.Scatter(x=df["alpha"].to_numpy() + jitter, y=df[metric], mode="markers", name=name,
                             marker=dict(color=color, size=4, opacity=0.25), text=hover,
                             hovertemplate="alpha %{x:.1f}, score %{y:.2f}<br>%{text}<extra></extra>",
                             showlegend=row in (None, 1) and col in (None, 1)), **kwargs)
