"""Every figure of the suite (plotly), in one place: one function per question, one module per notebook.

Each function takes computed numbers (tables, dicts, arrays) and returns a plotly figure; no
model runs here. Titles state the question or the answer, axes carry units, hovering a point
shows its prompt or word. ``helpers.notebook.save_figure`` writes them beside the notebook's JSON.

    from helpers import plots
    fig = plots.heatmap_figure(table, "valence", "resid_post")
"""
from ._common import COLORS, band, html_escape, points
from .dataset import (adjective_token_figure, circumplex_figure, human_rating_figure, sentence_baseline_figure,
                      split_size_figure, template_length_figure, token_length_figure, vader_label_figure)
from .comparison import comparison_figure, logodds_figure, scaling_figure, transfer_figure
from .emergence import emergence_figure, geometry_figure, layer_slider_figure, scale_coords, vocabulary_geometry_figure
from .probing import (cosine_figure, heatmap_figure, human_readout_figure, layer_curves_figure, plane_figure,
                      vader_readout_figure, word_accuracy_figure)
from .persistence import (control_map_figure, decay_figure, generation_figure, persistence_heatmaps, push_figure,
                          token_readout_figure)
from .replication import replication_curves_figure, transfer_across_figure
from .steering import ablation_figure, dose_figure, family_figure, fluency_figure
from .sweep import sweep_accuracy_figure, sweep_emergence_figure

__all__ = ["COLORS", "band", "html_escape", "points",
           "adjective_token_figure", "circumplex_figure", "human_rating_figure", "sentence_baseline_figure",
           "split_size_figure", "template_length_figure", "token_length_figure", "vader_label_figure",
           "comparison_figure", "logodds_figure", "scaling_figure", "transfer_figure",
           "emergence_figure", "geometry_figure", "layer_slider_figure", "scale_coords", "vocabulary_geometry_figure",
           "cosine_figure", "heatmap_figure", "human_readout_figure", "layer_curves_figure", "plane_figure", "vader_readout_figure",
           "word_accuracy_figure", "replication_curves_figure", "transfer_across_figure",
           "control_map_figure", "decay_figure", "generation_figure", "persistence_heatmaps", "push_figure",
           "token_readout_figure",
           "ablation_figure", "dose_figure", "family_figure", "fluency_figure",
           "sweep_accuracy_figure", "sweep_emergence_figure"]
