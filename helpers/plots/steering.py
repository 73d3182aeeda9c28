"""Figures of notebook 05: dose-response of steering, fluency, ablation."""
from __future__ import annotations

from typing import Sequence

from ._common import COLORS, band, points

def dose_figure(df, table, title: str, metrics: Sequence[tuple[str, str]]):
    """One panel per (metric, y label): per-alpha mean with 95% band, and every continuation as a point."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[label for _, label in metrics])
    for i, (metric, label) in enumerate(metrics, start=1):
        points(fig, df, metric, "#999999", row=1, col=i)
        band(fig, table["alpha"], table[metric], table[f"{metric}_ci_low"], table[f"{metric}_ci_high"],
              f"mean {metric} (95% CI)", COLORS[i - 1], row=1, col=i)
        fig.update_xaxes(title_text="alpha (std of the probe's training projections)", row=1, col=i)
        fig.update_yaxes(title_text=label, row=1, col=i)
    fig.update_layout(title=title, height=460, legend=dict(orientation="h", y=-0.25))
    return fig


def family_figure(table, series: str, metric: str, title: str, y_label: str, series_label=str):
    """Per-alpha mean (95% band) of ``metric`` for each value of ``series`` (e.g. layer or kind)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (value, group) in enumerate(table.groupby(series, sort=True)):
        group = group.sort_values("alpha")
        band(fig, group["alpha"], group[metric], group[f"{metric}_ci_low"], group[f"{metric}_ci_high"],
              series_label(value), COLORS[i % len(COLORS)])
    fig.update_layout(title=title, xaxis_title="alpha (std of the probe's training projections)",
                      yaxis_title=y_label, height=440)
    return fig


def fluency_figure(table, ratios: dict, limit: float, within: Sequence[float], title: str):
    """Perplexity ratio to the unsteered text and distinct-2 against alpha."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=["perplexity / unsteered perplexity (geometric means)",
                                                        "distinct-2 (mean, 95% CI)"])
    alphas = sorted(ratios)
    fig.add_trace(go.Scatter(x=alphas, y=[ratios[a] for a in alphas], mode="lines+markers", name="perplexity ratio",
                             hovertemplate="alpha %{x}<br>ratio %{y:.2f}<extra></extra>"), row=1, col=1)
    fig.add_hline(y=limit, line_dash="dash", annotation_text=f"{limit}x", row=1, col=1)
    fig.add_vrect(x0=within[0], x1=within[1], fillcolor="green", opacity=0.08, line_width=0, row=1, col=1)
    band(fig, table["alpha"], table["distinct2"], table["distinct2_ci_low"], table["distinct2_ci_high"],
          "distinct-2", COLORS[2], row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(title_text="alpha (std units)", row=1, col=col)
    fig.update_yaxes(title_text="ratio (1 = as fluent as unsteered)", row=1, col=1)
    fig.update_yaxes(title_text="distinct word bigrams / bigrams", row=1, col=2)
    fig.update_layout(title=title, height=440)
    return fig


def ablation_figure(summary: dict, title: str):
    """VADER of continuations of positive and negative prompts, and probe accuracies, per ablation."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(summary["conditions"])
    rows = [summary["conditions"][n] for n in names]
    fig = make_subplots(rows=1, cols=2, subplot_titles=["VADER of continuations", "valence decoding accuracy"])
    for i, (key, label) in enumerate((("vader_positive_prompts", "positive prompts"),
                                      ("vader_negative_prompts", "negative prompts"))):
        fig.add_trace(go.Bar(x=names, y=[r[key] for r in rows], name=label, marker_color=COLORS[i]), row=1, col=1)
    fig.add_trace(go.Scatter(x=names, y=[r["vader_gap"] for r in rows], mode="markers", name="gap (pos - neg), 95% CI",
                             marker=dict(color="black", size=10, symbol="diamond"),
                             error_y=dict(type="data", symmetric=False,
                                          array=[r["vader_gap_ci_high"] - r["vader_gap"] for r in rows],
                                          arrayminus=[r["vader_gap"] - r["vader_gap_ci_low"] for r in rows])),
                  row=1, col=1)
    readers = list(rows[0]["probe_accuracy"])
    for j, reader in enumerate(readers):
        fig.add_trace(go.Bar(x=names, y=[r["probe_accuracy_affirmative"][reader] for r in rows],
                             name=f"{reader} (affirmative prompts)", marker_color=COLORS[2 + j]), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=[r["fresh_probe_cv_accuracy_affirmative"] for r in rows],
                         name="fresh logreg, CV (affirmative)", marker_color=COLORS[5]), row=1, col=2)
    fig.add_hline(y=0.5, line_dash="dot", row=1, col=2)
    fig.update_yaxes(title_text="VADER compound (-1..1)", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1], row=1, col=2)
    fig.update_xaxes(title_text="direction projected out at every layer", row=1, col=1)
    fig.update_xaxes(title_text="direction projected out at every layer", row=1, col=2)
    fig.update_layout(title=title, barmode="group", height=460)
    return fig
