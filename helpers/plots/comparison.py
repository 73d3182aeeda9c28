"""Figures of notebook 04: probes against prompting, and the memory saving."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..comparison import PROMPTING, best_prompting
from ..data import LABELS

def transfer_figure(table, chosen: tuple[tuple[str, str], int], model_name: str):
    """Validation accuracy (templated, used for the choice) and sentence accuracy (information) per layer,
    one line per (hook, pooling); ``chosen`` = ((hook, pooling), layer)."""
    import plotly.colors
    import plotly.graph_objects as go

    fig = go.Figure()
    dashes = {"validation_accuracy": "solid", "sentence_accuracy": "dot"}
    names = {"validation_accuracy": "templated validation (chooses)", "sentence_accuracy": "sentences (not used)"}
    palette = plotly.colors.qualitative.Plotly  # one colour per (hook, pooling): solid chooses, dotted informs
    for column in [c for c in ("validation_accuracy", "sentence_accuracy") if c in table.columns]:
        for i, ((hook, pooling), part) in enumerate(table.groupby(["hook", "pooling"], sort=False)):
            fig.add_scatter(x=part["layer"], y=part[column], mode="lines+markers",
                            line=dict(dash=dashes[column], color=palette[i % len(palette)]),
                            name=f"{hook}, {pooling} pooling, {names[column]}",
                            hovertemplate=f"layer %{{x}}, {hook}, {pooling}: %{{y:.3f}}<extra>{names[column]}</extra>")
    (hook, pooling), layer = chosen
    fig.add_vline(x=layer, line_dash="dash", annotation_text=f"chosen: {hook}, {pooling} pooling, layer {layer}")
    fig.update_xaxes(title_text="layer", range=[table["layer"].min() - 0.5, table["layer"].max() + 0.5])
    fig.update_yaxes(title_text="accuracy", range=[0.4, 1.0])
    fig.update_layout(title=f"{model_name}: the transfer probe's hook, pooling and layer are chosen on templated prompts only",
                      height=620, legend=dict(orientation="h", y=-0.18))
    return fig

def comparison_figure(methods: dict, model_name: str):
    """Three panels: sentence accuracy (95% CI), parameter MB and peak RSS, seconds per 100 texts."""
    from plotly.subplots import make_subplots

    names = list(methods)
    colors = ["#9ecae1" if n in PROMPTING else "#e6550d" for n in names]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("accuracy on sentences (95% CI)",
                                                        "memory (MB)", "time per 100 texts (s)"))
    acc = [methods[n]["accuracy"] for n in names]
    fig.add_bar(x=names, y=acc, marker_color=colors, name="accuracy", showlegend=False,
                error_y=dict(type="data", symmetric=False,
                             array=[methods[n]["ci_high"] - methods[n]["accuracy"] for n in names],
                             arrayminus=[methods[n]["accuracy"] - methods[n]["ci_low"] for n in names]),
                hovertemplate="%{x}: %{y:.3f}<extra></extra>", row=1, col=1)
    fig.add_bar(x=names, y=[methods[n]["param_bytes"] / 1e6 for n in names], name="parameter MB touched",
                marker_color="#636363", hovertemplate="%{x}: %{y:.0f} MB of parameters<extra></extra>", row=1, col=2)
    fig.add_bar(x=names, y=[methods[n]["peak_rss_mb"] for n in names], name="peak RSS MB (fresh process)",
                marker_color="#bdbdbd", hovertemplate="%{x}: peak RSS %{y:.0f} MB<extra></extra>", row=1, col=2)
    fig.add_bar(x=names, y=[methods[n]["seconds_per_100"] for n in names], marker_color=colors, showlegend=False,
                name="seconds per 100", hovertemplate="%{x}: %{y:.1f} s<extra></extra>", row=1, col=3)
    fig.add_hline(y=0.5, line_dash="dot", annotation_text="chance", annotation_position="bottom left", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="MB", row=1, col=2)
    fig.update_yaxes(title_text="seconds per 100 texts", row=1, col=3)
    fig.update_xaxes(title_text="method", tickangle=35)
    best = best_prompting(methods)
    fig.update_layout(barmode="group", height=560, margin=dict(t=110), legend=dict(orientation="h", y=-0.45),
                      title=f"{model_name}: probes {methods['probe_in_domain']['accuracy']:.2f} (in-domain) and "
                            f"{methods['probe_transfer']['accuracy']:.2f} (transfer) vs best prompting "
                            f"{methods[best]['accuracy']:.2f} ({best}),<br>with fewer parameters touched and less time")
    return fig

def scaling_figure(table: Sequence[dict], measured: dict | None = None):
    """Probe memory saving vs model size, one marker per model and probe depth (25/50/75% of the layers)."""
    import plotly.graph_objects as go

    rows = sorted(table, key=lambda r: r["params_total"])
    fig = go.Figure()
    for key, label, symbol in (("saving_at_25", "probe at 25% depth", "triangle-down"),
                               ("saving_at_50", "probe at 50% depth", "circle"),
                               ("saving_at_75", "probe at 75% depth", "triangle-up")):
        fig.add_scatter(x=[r["params_total"] / 1e9 for r in rows], y=[r[key] for r in rows],
                        mode="markers+text" if key == "saving_at_50" else "markers", marker=dict(symbol=symbol, size=10),
                        name=label, text=[r["model"] for r in rows],
                        textposition=["bottom center" if i % 2 == 0 else "top center" for i in range(len(rows))],
                        textfont=dict(size=9),
                        customdata=[[r["embedding_share"], r["n_layers"], r["d_model"], "tied" if r["tied"] else "untied"]
                                    for r in rows],
                        hovertemplate="%{text}: saving %{y:.0%}<br>embedding share %{customdata[0]:.0%}, "
                                      "%{customdata[1]} layers, d_model %{customdata[2]}, %{customdata[3]} "
                                      "unembedding<extra>" + label + "</extra>")
    if measured:
        fig.add_scatter(x=[measured["params_total"] / 1e9], y=[measured["saving"]], mode="markers",
                        marker=dict(symbol="star", size=16, color="black"), name=f"measured: {measured['model']}",
                        hovertemplate=f"{measured['model']}: measured saving %{{y:.0%}}<extra></extra>")
    fig.add_hline(y=0.57, line_dash="dot", annotation_text="paper: 57%")
    fig.update_xaxes(type="log", title_text="model parameters (billions, log scale)")
    fig.update_yaxes(title_text="parameter memory saved by the probe", tickformat=".0%", range=[0, 1])
    fig.update_layout(title="The saving grows with size while the embedding's share falls; "
                            "past ~7B a mid-depth probe saves half", height=520)
    return fig

def logodds_figure(frames: dict, y: Sequence[int], texts: Sequence[str]):
    """Strip plot of each prompting variant's log-odds by true label: a biased prompt sits on one side of 0."""
    import pandas as pd
    import plotly.express as px

    rows = []
    for name, values in frames.items():
        rows.append(pd.DataFrame({"variant": name, "log-odds": values, "true label": np.asarray(LABELS["valence"])[np.asarray(y)],
                                  "text": list(texts)}))
    data = pd.concat(rows, ignore_index=True)
    fig = px.strip(data, x="variant", y="log-odds", color="true label", hover_data=["text"],
                   labels={"log-odds": "log p(positive) - log p(negative) at the answer", "variant": "prompt"},
                   title="Uncalibrated prompts lean to one label; calibration moves the threshold, not the overlap")
    fig.add_hline(y=0, line_dash="dot")
    return fig
