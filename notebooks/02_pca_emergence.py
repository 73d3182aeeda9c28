# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · When does valence become the main axis? PCA across layers
#
# A linear probe (notebook 03) asks whether valence *can* be read from a layer. PCA asks a
# stronger, unsupervised question: is valence one of the **largest** directions of variation
# in the activations, so that it shows up without any labels? For every layer we run a PCA of
# the prompts' activations (residual stream `resid_post` and attention values `attn_v`) and
# measure how well PC1 alone separates positive from negative prompts (ROC AUC), how much
# variance PC1-PC3 explain, and a silhouette score of the two classes in the PC1-PC2 plane.
# The **emergence layer** is the first layer where PC1 alone reaches AUC >= 0.9.
#
# The second half looks at emotion *concepts*: one vector per emotion word of
# `data/emotions.csv`, averaged over many contexts. Do the two largest directions of those
# vectors line up with valence and arousal, the two axes of the circumplex of affect?

# %% tags=["parameters"]
model_name = "smollm2-135m"
preset = "default"            # "quick": every 6th layer, ~320 prompts, 3 templates per emotion word; "full": more
overrides = {}                # any field of helpers.settings.Emergence, e.g. {"threshold": 0.95}
output_dir = "../runs/smollm2-135m/02_pca_emergence"
backend = "transformer_lens"  # or "nnsight"
remote = False

# %%
import pandas as pd
from IPython.display import display

from helpers import load_model, plots
from helpers.data import human_ratings
from helpers.emergence_study import EmergenceStudy
from helpers.notebook import output_folder, save_figure, save_results
from helpers.runtime import set_torch_threads
from helpers.settings import Emergence

settings = Emergence.preset(preset, **overrides)
out = output_folder(output_dir)
threads = set_torch_threads(settings.torch_threads)

# %% [markdown]
# ## Model, layers and prompts
#
# The prompts are the valence prompts of the dataset (affirmative and negated templates, label =
# meaning, so a negated *happy* counts as negative), subsampled to `n_templates` x `n_adjectives`
# with the seed; notebook 03 uses the same set, so its activations come from the cache. In quick
# mode, every 6th layer and about 320 prompts.

# %%
model = load_model(model_name, backend=backend, remote=remote)
study = EmergenceStudy(model, settings)
print(f"{model_name}: {study.describe()}; {threads} torch thread(s)")

# %% [markdown]
# ## Activations
#
# One forward pass per batch gives every (hook, pooling) pair. The poolings notebook 03 needs
# (`last`, `mean`, `max`, `word`) are collected too, at no extra forward cost, so that notebook 03
# finds them in the activation cache.

# %%
study.activations()

# %% [markdown]
# ## PCA at every layer
#
# Prompts differ far more between templates (length, frame, person, position of the slot)
# than between the words in the slot, so a plain PCA spends its first components on the
# templates. The main analysis therefore removes each template's mean activation first
# (`centering = "template"`: what is left is what the word changes in that context); the plain
# PCA (`centering = "none"`) is kept for comparison. For each hook, pooling, centering and
# layer: the ROC AUC of PC1 alone for the valence label (sign-free: a PC's sign is arbitrary),
# the same AUC on affirmative prompts only (where the word alone decides the label), the
# explained variance of PC1-PC3 and the silhouette of the two classes in the PC1-PC2 plane.

# %%
study.pca_per_layer()

# %% [markdown]
# ## The two classes across depth
#
# Each frame is one layer (drag the slider; it opens on the layer where PC1 separates best):
# the template-centred prompts in the plane of their first two principal components, blue =
# positive meaning, red = negative, crosses = negated templates.
# Coordinates are divided by the layer's PC1 standard deviation, so only the shape changes
# from layer to layer. Hover a point to read its prompt.

# %%
for hook in settings.hooks:
    fig = plots.layer_slider_figure(**study.slider_inputs(hook), title=f"Does valence separate along PC1 as depth "
                                    f"grows? {hook}, {study.main_pooling} token")
    save_figure(fig, out, f"pca_layers_{hook}")
    fig.show()

# %% [markdown]
# ## Emergence over depth
#
# For the first pooling, one colour per hook. Left: PC1's AUC for valence at every layer
# (solid: template-centred, all prompts; dotted: affirmative prompts only; thin dashed: plain
# PCA); the grey line is the emergence threshold, read on the solid curve. Middle: the share of
# variance PC1-PC3 explain. Right: silhouette of the two classes in the PC1-PC2 plane (1 = tight,
# separate clusters; 0 = overlapping). The other poolings are in the table above. Middle: the share of variance PC1-PC3
# explain. Right: silhouette of the two classes in the PC1-PC2 plane (1 = tight, separate
# clusters; 0 = overlapping).

# %%
emergence = study.emergence()
found = ", ".join(f"{h} {layer}" for h, layer in study.emergence_layer.items())
fig = plots.emergence_figure(study.per_layer[study.per_layer.pooling == study.main_pooling], settings.threshold,
                             title=f"At which layer does PC1 alone separate valence? first layer with AUC >= "
                                   f"{settings.threshold}: {found} ({study.main_pooling} token)")
save_figure(fig, out, "emergence")
fig.show()
pd.DataFrame(emergence)

# %% [markdown]
# ## Emotion-concept vectors
#
# Each word of `data/emotions.csv` (with its circumplex valence and arousal in -1..1) is placed
# in `emotion_templates` affirmative templates. Its **emotion vector** is its mean activation
# over those contexts, minus the mean over all words. Part of that vector can be generic
# (sentence position, template style); following the emotion-vector literature, we optionally
# project out the top `neutral_pcs` principal components of activations on emotionally neutral
# sentences (`data/neutral.txt`) and report both versions.

# %%
print(study.emotion_activations())

# %% [markdown]
# ## Are PC1 and PC2 valence and arousal?
#
# PCA of the emotion vectors at each geometry layer and pooling, with and without the neutral
# PCs removed. `pc1_valence_r` is the Pearson correlation of PC1 with the circumplex valence
# (PC1 is signed to make it positive), `pc2_arousal_r` that of PC2 with arousal;
# `plane_*_R` is how well the best direction in the PC1-PC2 plane predicts each coordinate
# (high even when the plane is rotated).

# %%
study.geometry()

# %% [markdown]
# ## The emotion words in the PC1-PC2 plane
#
# At the middle geometry layer, for the first geometry pooling: left without, right with the
# neutral PCs projected out. If PC1 is valence, pleasant words (blue) sit right and unpleasant
# ones (red) left; if PC2 is arousal, big markers (activated words) sit at the top.

# %%
fig = plots.geometry_figure(**study.geometry_inputs(), title=f"Are the two main axes of emotion vectors valence and "
                            f"arousal? layer {study.main_layer}, {settings.geometry_poolings[0]} pooling")
save_figure(fig, out, "emotion_geometry")
fig.show()

# %% [markdown]
# ## Against human ratings
#
# The circumplex coordinates above are ours. The Warriner et al. (2013) norms give mean human
# valence and arousal (1-9) for most of the emotion words: is PC1 ordered like human valence and
# PC2 like human arousal? Spearman (sign-free) with a bootstrap interval over words. A recent
# replication of the emotion-vector method on 4B-8B models finds PC1-valence r = 0.76-0.83 and
# arousal on the second component at only r <= 0.45 (arXiv 2606.26987).

# %%
pd.Series(study.human_geometry(human_ratings()))

# %% [markdown]
# ## A large rated vocabulary
#
# The emotion words are a few hundred chosen words. Do the main axes of *any* words follow
# human valence and arousal? Thousands of rated lemmas (Warriner et al. 2013, drawn at random),
# each read in a neutral frame (`The word "{}"`) and averaged over emotion frames ("Bob feels
# {}, so Bob", "It was {}. It"); PCA at every layer; |Spearman| of PC1 with valence and PC2 with
# arousal (bootstrap interval over words at the geometry layer), and which of the top ten PCs
# follows each axis best.

# %%
display(study.vocabulary_geometry())
fig = plots.vocabulary_geometry_figure(study.vocabulary_table, "Do the main axes of thousands of rated words follow "
                                       "human valence and arousal?")
save_figure(fig, out, "vocabulary_geometry")
fig.show()

# %% [markdown]
# ## Results
#
# Everything above goes to `results.json` in the output folder (keys documented in the last cell).

# %%
results = study.results()
save_results(out, results)
pd.Series({"emergence": results["emergence_layer"], "PC1~valence r": results["emotion_geometry"]["pc1_valence_r"],
           "PC2~arousal r": results["emotion_geometry"]["pc2_arousal_r"], "seconds": round(results["seconds"]["total"])})

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `n_layers`, `layers`, `hooks`, `poolings`, `n_prompts`, `threshold`, `seed`, `settings`;
#   `backend` (`transformer_lens` or `nnsight`) and `remote` (True: run on NDIF).
# - `emergence_layer`: `{hook: first layer (int) where PC1 AUC >= threshold for the first pooling,
#   template-centred PCA, or null}`; `emergence_depth_fraction`: the same as `(layer + 1) / n_layers`;
#   `emergence_layer_by_pooling` (`"hook/pooling"` keys), `emergence_layer_affirmative`
#   (AUC on affirmative prompts only) and `emergence_layer_uncentred` (plain PCA).
# - `per_layer`: one record per (hook, pooling, centering, layer): `pc1_auc`, `pc2_auc`, `best_pc_auc`,
#   `best_pc`, `pc1_auc_affirmative`, `ev1`-`ev3` (explained-variance ratios), `silhouette`;
#   `centering` is `"template"` (each template's mean removed) or `"none"`.
# - `emotion_geometry`: at `layer` / `hook` / `pooling` (the middle geometry layer, first geometry
#   pooling): `pc1_valence_r`, `pc2_arousal_r` (raw emotion vectors) and
#   `pc1_valence_r_neutral_projected`, `pc2_arousal_r_neutral_projected` (after projecting out
#   `neutral_pcs` neutral PCs); `raw` and `neutral_projected` hold every number (cross terms
#   `pc1_arousal_r`, `pc2_valence_r`, `explained_variance_ratio`, `plane_valence_R`,
#   `plane_arousal_R`, `n_words`); `all` lists them for every geometry layer and pooling.
# - `seconds`: wall-clock time of the prompt collection and of the whole notebook.
