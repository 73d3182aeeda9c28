"""Figures of notebook 07: the Emo_LLM replication (accuracy by layer) and the cross-dataset transfer."""
from __future__ import annotations

import pandas as pd

SPLIT_DASH = {"E1": "solid", "E2": "dash", "E3": "dot"}


def replication_curves_figure(curves: pd.DataFrame, table: pd.DataFrame, *, title: str):
    """Test accuracy by layer, one panel per axis, one line per (hook, pooling) x split; the
    published GPT-2 figures as horizontal marks; the validation-chosen layer as a marker."""
    from plotly.subplots import make_subplots

    axes = list(dict.fromkeys(curves["axis"]))
    fig = make_subplots(rows=1, cols=len(axes), subplot_titles=axes, shared_yaxes=True)
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    specs = list(dict.fromkeys(zip(curves["hook"], curves["pooling"])))
    for col, axis in enumerate(axes, start=1):
        for i, (hook, pooling) in enumerate(specs):
            for split, dash in SPLIT_DASH.items():
                part = curves[(curves["axis"] == axis) & (curves["hook"] == hook) & (curves["pooling"] == pooling)
                              & (curves["split"] == split)]
                name = f"{hook}/{pooling} {split}"
                fig.add_scatter(x=part["layer"], y=part["test"], mode="lines", name=name, legendgroup=name,
                                showlegend=col == 1, line=dict(color=palette[i % len(palette)], dash=dash),
                                row=1, col=col, hovertemplate=f"{name}<br>layer %{{x}}: %{{y:.3f}}<extra></extra>")
                chosen = table[(table["axis"] == axis) & (table["hook"] == hook) & (table["pooling"] == pooling)
                               & (table["split"] == split)]
                fig.add_scatter(x=chosen["layer"], y=chosen["test"], mode="markers", legendgroup=name,
                                showlegend=False, marker=dict(color=palette[i % len(palette)], size=9), row=1, col=col,
                                hovertemplate=f"{name}, layer chosen on validation: %{{y:.3f}}<extra></extra>")
        gpt2 = table[table["axis"] == axis].drop_duplicates("split")
        for _, row in gpt2.iterrows():
            fig.add_hline(y=row["gpt2_published"], line=dict(color="grey", dash=SPLIT_DASH[row["split"]], width=1),
                          annotation_text=f"GPT-2 {row['split']}", row=1, col=col)
    fig.update_yaxes(title_text="test accuracy", range=[0.4, 1.02], row=1, col=1)
    fig.update_xaxes(title_text="layer")
    fig.update_layout(title=title, height=480, legend=dict(orientation="h", y=-0.2))
    return fig


def transfer_across_figure(transfer: pd.DataFrame, *, title: str):
    """Accuracy of each transfer direction on all, affirmative, negated rows and per negated kind."""
    import plotly.graph_objects as go

    columns = [c for c in transfer.columns if c in ("all", "affirmative", "negated") or c.startswith("negated ")]
    fig = go.Figure()
    for _, row in transfer.iterrows():
        fig.add_bar(x=columns, y=[row[c] for c in columns], name=row["direction"],
                    hovertemplate="%{x}: %{y:.3f}<extra>" + row["direction"] + "</extra>")
    fig.add_hline(y=0.90, line=dict(color="grey", dash="dash"), annotation_text="goal all 0.90")
    fig.add_hline(y=0.85, line=dict(color="grey", dash="dot"), annotation_text="goal negated 0.85")
    fig.update_layout(title=title, barmode="group", height=440, yaxis=dict(title="accuracy", range=[0, 1.02]),
                      xaxis=dict(title="target rows"), legend=dict(orientation="h", y=-0.25))
    return fig
