"""Figures of notebook 06: does the emotion last over distance, generation and a steering push?"""
from __future__ import annotations

from ._common import COLORS, band


def persistence_heatmaps(result, title: str):
    """Layer x k maps of held-out accuracy: the k = 0 probe unchanged beside a probe retrained at each k."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=["k = 0 probe, applied unchanged", "probe retrained at each k"],
                        horizontal_spacing=0.08)
    ks = [str(k) for k in result.ks]
    for col, values in enumerate((result.fixed, result.retrained), start=1):
        fig.add_trace(go.Heatmap(z=values, x=ks, y=result.layers, zmin=0.5, zmax=1.0, colorscale="Viridis",
                                 showscale=col == 2, colorbar=dict(title="accuracy"),
                                 hovertemplate="k %{x}, layer %{y}: %{z:.3f}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(title_text="neutral filler tokens k", type="category", row=1, col=col)
    fig.update_yaxes(title_text="layer", row=1, col=1)
    fig.update_layout(title=title, height=460)
    return fig


def decay_figure(curves, title: str):
    """Accuracy of the fixed k = 0 probe (best layer) against k, one band per (axis, site)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, ((axis, site), group) in enumerate(curves.groupby(["axis", "site"], sort=True)):
        group = group.sort_values("k")
        band(fig, group["k"], group["fixed"], group["ci_low"], group["ci_high"],
             f"{axis}, read at {site} (layer {group['layer'].iloc[0]})", COLORS[i % len(COLORS)],
             dash=None if site == "mention" else "dot")
    fig.add_hline(y=0.5, line_dash="dash", line_color="#999999", annotation_text="chance")
    fig.update_layout(title=title, xaxis_title="neutral filler tokens k (log scale; 0 drawn at 1)",
                      yaxis_title="held-out accuracy (95% CI over words and templates)", height=440,
                      xaxis=dict(type="log"), yaxis=dict(range=[0.3, 1.02]))
    for trace in fig.data:  # log axis: draw k = 0 at 1
        if trace.x is not None:
            trace.x = [max(x, 1) for x in trace.x]
    return fig


def generation_figure(curves: dict, title: str):
    """Per generated-token position: the k = 0 probe's accuracy on the prompt's label, beside the judge's."""
    import plotly.graph_objects as go

    fig = go.Figure()
    judge_names = {"valence": "VADER of the text so far", "arousal": "human arousal of its rated words"}
    for i, (axis, curve) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=curve["position"], y=curve["probe"], mode="lines+markers", name=f"{axis}: probe",
                                 line=dict(color=COLORS[i])))
        fig.add_trace(go.Scatter(x=curve["position"], y=curve["judge"], mode="lines", name=f"{axis}: {judge_names[axis]}",
                                 line=dict(color=COLORS[i], dash="dot")))
    fig.add_hline(y=0.5, line_dash="dash", line_color="#999999", annotation_text="chance")
    fig.update_layout(title=title, xaxis_title="generated token position (-1 = the prompt's last token)",
                      yaxis_title="share naming the prompt's label", height=440, yaxis=dict(range=[0, 1.02]))
    return fig


def push_figure(effects: dict, title: str):
    """Steering effect (+alpha minus -alpha) by generated position: push over the prompt only vs everywhere."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    labels = {"decision": "probe read-out (re-read unsteered)", "vader": "VADER of the text so far"}
    fig = make_subplots(rows=1, cols=len(effects), subplot_titles=[labels.get(m, m) for m in effects])
    for col, (metric, table) in enumerate(effects.items(), start=1):
        for i, (condition, group) in enumerate(table.groupby("condition", sort=True)):
            name = {"prompt": "steered over the prompt only", "all": "steered at every position"}.get(condition, condition)
            fig.add_trace(go.Scatter(x=group["position"], y=group["effect"], mode="lines+markers", name=name,
                                     line=dict(color=COLORS[i]), showlegend=col == 1, legendgroup=condition),
                          row=1, col=col)
        fig.add_hline(y=0, line_dash="dash", line_color="#999999", row=1, col=col)
        fig.update_xaxes(title_text="generated token position", row=1, col=col)
    fig.update_yaxes(title_text="effect: +alpha minus -alpha", row=1, col=1)
    fig.update_layout(title=title, height=440, legend=dict(orientation="h", y=-0.2))
    return fig


def control_map_figure(table, title: str):
    """The 2-D map: expected human valence and arousal of the next word as each direction's alpha moves."""
    import plotly.graph_objects as go

    means = table.groupby(["direction", "alpha"], as_index=False)[["expected_valence", "expected_arousal"]].mean()
    fig = go.Figure()
    for i, (direction, group) in enumerate(means.groupby("direction", sort=True)):
        group = group.sort_values("alpha")
        fig.add_trace(go.Scatter(x=group["expected_valence"], y=group["expected_arousal"], mode="lines+markers+text",
                                 name=f"{direction} direction", text=[f"{a:+g}" for a in group["alpha"]],
                                 textposition="top center", line=dict(color=COLORS[i]),
                                 hovertemplate="alpha %{text}: valence %{x:.3f}, arousal %{y:.3f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="expected human valence of the next word (1-9)",
                      yaxis_title="expected human arousal of the next word (1-9)", height=480)
    return fig


def token_readout_figure(tokens, values: dict, title: str):
    """Read-outs along a text: one line per read-out, tokens on the x axis."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, series) in enumerate(values.items()):
        fig.add_trace(go.Scatter(x=list(range(len(tokens))), y=series, mode="lines", name=name,
                                 line=dict(color=COLORS[i]), text=tokens,
                                 hovertemplate="%{text}: %{y:.2f}<extra></extra>"))
    fig.add_hline(y=0, line_dash="dash", line_color="#999999")
    fig.update_layout(title=title, xaxis_title="token position", yaxis_title="probe decision (> 0: positive / high)",
                      height=380)
    return fig
