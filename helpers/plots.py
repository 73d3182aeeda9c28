"""Every figure of the suite (plotly), one function per question, grouped by notebook.

Each function takes computed numbers (tables, dicts, arrays) and returns a plotly figure:
no model runs here. Titles state the question or the answer, axes carry units, hovering a
point shows its prompt or word. ``helpers.notebook.save_figure`` writes them beside the
notebook's JSON.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .comparison import PROMPTING, best_prompting
from .data import LABELS, SPLIT_NAMES
from .evaluation import cosine
from .probes import Probe

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


# ------------------------------------------------------------------ shared pieces
def html_escape(text: str) -> str:
    import html

    return html.escape(text).replace("\n", " ")


def _band(fig, x, mean, low, high, name, color, row=None, col=None, showlegend=True, dash=None):
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    fig.add_trace(go.Scatter(x=list(x) + list(x)[::-1], y=list(high) + list(low)[::-1], fill="toself",
                             fillcolor=color, opacity=0.18, line=dict(width=0), hoverinfo="skip",
                             showlegend=False, legendgroup=name), **kwargs)
    fig.add_trace(go.Scatter(x=list(x), y=list(mean), mode="lines+markers", name=name, legendgroup=name,
                             line=dict(color=color, dash=dash), showlegend=showlegend,
                             hovertemplate=f"{name}<br>alpha %{{x}}<br>mean %{{y:.3f}}<extra></extra>"), **kwargs)


def _points(fig, df, metric, color, row=None, col=None, name="continuations"):
    """Individual continuations as faint jittered points; hover shows prompt and text."""
    import plotly.graph_objects as go

    kwargs = {} if row is None else {"row": row, "col": col}
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(df))
    hover = [f"{html_escape(p)}<b>{html_escape(t[:160])}</b>" for p, t in zip(df["prompt"], df["text"])]
    fig.add_trace(go.Scatter(x=df["alpha"].to_numpy() + jitter, y=df[metric], mode="markers", name=name,
                             marker=dict(color=color, size=4, opacity=0.25), text=hover,
                             hovertemplate="alpha %{x:.1f}, score %{y:.2f}<br>%{text}<extra></extra>",
                             showlegend=row in (None, 1) and col in (None, 1)), **kwargs)


# ------------------------------------------------------------------ 02: PCA emergence and emotion geometry

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


# ------------------------------------------------------------------ 03: probes

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


# ------------------------------------------------------------------ 04: probes vs prompting

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
    import plotly.graph_objects as go

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


# ------------------------------------------------------------------ 05: steering


def dose_figure(df, table, title: str, metrics: Sequence[tuple[str, str]]):
    """One panel per (metric, y label): per-alpha mean with 95% band, and every continuation as a point."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[label for _, label in metrics])
    for i, (metric, label) in enumerate(metrics, start=1):
        _points(fig, df, metric, "#999999", row=1, col=i)
        _band(fig, table["alpha"], table[metric], table[f"{metric}_ci_low"], table[f"{metric}_ci_high"],
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
        _band(fig, group["alpha"], group[metric], group[f"{metric}_ci_low"], group[f"{metric}_ci_high"],
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
    _band(fig, table["alpha"], table["distinct2"], table["distinct2_ci_low"], table["distinct2_ci_high"],
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
