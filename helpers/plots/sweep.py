"""Figures of ``make sweep``: accuracy per model and split over seeds, and where valence emerges."""
from __future__ import annotations


def sweep_accuracy_figure(table):
    """One bar per model and split (mean over seeds), whiskers from min to max; a panel per axis."""
    import plotly.express as px
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    axes = list(dict.fromkeys(table["axis"]))
    fig = make_subplots(rows=1, cols=len(axes), subplot_titles=axes, shared_yaxes=True)
    colors = px.colors.qualitative.Plotly
    for m, model in enumerate(dict.fromkeys(table["model"])):
        for col, axis in enumerate(axes, 1):
            part = table[(table["model"] == model) & (table["axis"] == axis)]
            fig.add_trace(go.Bar(x=part["split"], y=part["mean"], name=model, legendgroup=model,
                                 showlegend=col == 1, marker_color=colors[m % len(colors)],
                                 error_y=dict(type="data", symmetric=False, array=part["max"] - part["mean"],
                                              arrayminus=part["mean"] - part["min"]),
                                 customdata=part[["min", "max", "n_seeds"]],
                                 hovertemplate="%{x}: mean %{y:.3f} (min %{customdata[0]:.3f}, "
                                               "max %{customdata[1]:.3f}, %{customdata[2]} seeds)"),
                          row=1, col=col)
    fig.update_layout(barmode="group", title="Best-layer probe accuracy per model and split "
                                             "(bar: mean over seeds; whiskers: min to max)")
    fig.update_yaxes(range=[0, 1], title_text="accuracy", row=1, col=1)
    return fig


def sweep_emergence_figure(depth):
    """The emergence layer of every run, as a fraction of the model's depth."""
    import plotly.express as px

    fig = px.strip(depth, x="model", y="depth_fraction", color="split", hover_data=["seed", "layer"],
                   title="Where valence emerges: first layer with PC1 AUC >= 0.9, as a fraction of depth")
    fig.update_yaxes(range=[0, 1], title="depth fraction (layer+1)/n_layers")
    return fig
