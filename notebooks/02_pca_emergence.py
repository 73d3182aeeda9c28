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
hooks = ["resid_post", "attn_v"]        # the PCA runs on each
poolings = ["last", "mean"]             # the first is drawn; all enter per_layer
layers = None                           # None: every layer
n_templates = 80                        # valence prompts: templates x adjectives (same set as notebook 03)
n_adjectives = 40
threshold = 0.9                         # emergence: the first layer whose PC1 AUC reaches this
emotion_templates = 12                  # affirmative templates per emotion word
geometry_layers = None                  # None: [n/4, n/2, 3n/4]; the middle one is reported on top
geometry_poolings = ["last", "word"]    # emotion vectors from the last token and from the word's tokens
neutral_pcs = 3                         # top PCs of neutral-text activations projected out (0: skip)
seed = 0
n_threads = None                        # torch threads; None: 1 if other work is using the CPUs, else torch's default
output_dir = "../runs/smollm2-135m/02_pca_emergence"
quick = False                           # True: every 6th layer, ~320 prompts, 3 templates per emotion word

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))

import time
import numpy as np
import pandas as pd
from IPython.display import display

from helpers import load_model
from helpers import pca as P
from helpers.collect import collect_many
from helpers.data import neutral_texts
from helpers.notebook import output_folder, save_figure, save_results
from helpers.probing import prompt_activations, prompt_set, set_torch_threads

out = output_folder(output_dir)
started = time.time()

# %% [markdown]
# ## Model, layers and prompts
#
# The prompts are the valence prompts of the dataset (affirmative and negated templates, label =
# meaning, so a negated *happy* counts as negative), subsampled to `n_templates` x `n_adjectives`
# with the seed; notebook 03 uses the same set, so its activations come from the cache. In quick
# mode, every 6th layer and about 320 prompts.

# %%
threads = set_torch_threads(n_threads)
model = load_model(model_name)
n_layers = model.cfg.n_layers
if quick:
    n_templates, n_adjectives, emotion_templates = min(n_templates, 16), min(n_adjectives, 20), min(emotion_templates, 3)
layers = list(range(0, n_layers, 6) if quick and layers is None else (layers if layers is not None else range(n_layers)))
df, parts = prompt_set("valence", n_templates=n_templates, n_adjectives=n_adjectives, seed=seed)
print(f"{model_name}: {n_layers} layers, d_model {model.cfg.d_model}; {len(df)} prompts "
      f"({int(df['negation'].sum())} negated); layers {layers}; {threads} torch thread(s)")

# %% [markdown]
# ## Activations
#
# One forward pass per batch gives every (hook, pooling) pair. The poolings notebook 03 needs
# (`last`, `mean`, `max`, `word`) are collected too, at no extra forward cost, so that notebook 03
# finds them in the activation cache.

# %%
collect_poolings = list(dict.fromkeys(list(poolings) + ["last", "mean", "max", "word"]))
t0 = time.time()
acts = prompt_activations(model, df, hooks=hooks, poolings=collect_poolings, layers=layers)
acts = {spec: X for spec, X in acts.items() if spec[1] in poolings}
collect_seconds = time.time() - t0
print(f"activations in {collect_seconds:.0f} s:", {f"{h}/{p}": X.shape for (h, p), X in acts.items()})

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
y = df["y"].to_numpy()
affirmative = ~df["negation"].to_numpy()
frames, coords = [], {}
for (hook, pooling), X in acts.items():
    for centering, Xc in (("template", P.center_within(X, df["template_id"])), ("none", X)):
        table, coords[(hook, pooling, centering)] = P.layer_metrics(Xc, y, layers, subsets={"affirmative": affirmative})
        frames.append(table.assign(hook=hook, pooling=pooling, centering=centering))
per_layer = pd.concat(frames, ignore_index=True)
per_layer.round(3).pivot_table(index="layer", columns=["centering", "hook", "pooling"], values="pc1_auc")

# %% [markdown]
# ## The two classes across depth
#
# Each frame is one layer (drag the slider; it opens on the layer where PC1 separates best):
# the template-centred prompts in the plane of their first two principal components, blue =
# positive meaning, red = negative, crosses = negated templates.
# Coordinates are divided by the layer's PC1 standard deviation, so only the shape changes
# from layer to layer. Hover a point to read its prompt.

# %%
main_pooling = poolings[0]
hover = (df["prompt"] + "  [" + df["label"] + "]").to_numpy()
for hook in hooks:
    auc = per_layer[(per_layer.hook == hook) & (per_layer.pooling == main_pooling) & (per_layer.centering == "template")]
    fig = P.layer_slider_figure(coords[(hook, main_pooling, "template")], layers, y, df["negation"].to_numpy(), hover,
                                active=int(auc["pc1_auc"].to_numpy().argmax()),
                                title=f"Does valence separate along PC1 as depth grows? {hook}, {main_pooling} token")
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
centred = per_layer[per_layer.centering == "template"]
emergence = {hook: P.emergence_layer(centred[(centred.hook == hook) & (centred.pooling == main_pooling)], threshold)
             for hook in hooks}
emergence_by_pooling = {f"{h}/{p}": P.emergence_layer(t, threshold) for (h, p), t in centred.groupby(["hook", "pooling"])}
emergence_affirmative = {f"{h}/{p}": P.emergence_layer(t, threshold, column="pc1_auc_affirmative")
                         for (h, p), t in centred.groupby(["hook", "pooling"])}
emergence_uncentred = {f"{h}/{p}": P.emergence_layer(t, threshold)
                       for (h, p), t in per_layer[per_layer.centering == "none"].groupby(["hook", "pooling"])}
fig = P.emergence_figure(per_layer[per_layer.pooling == main_pooling], threshold,
                         title=f"At which layer does PC1 alone separate valence? first layer with AUC >= {threshold}: "
                               + ", ".join(f"{h} {l}" for h, l in emergence.items()) + f" ({main_pooling} token)")
save_figure(fig, out, "emergence")
fig.show()
print("emergence layer (all prompts):", emergence_by_pooling)
print("emergence layer (affirmative prompts):", emergence_affirmative)
print("emergence layer (no centering):", emergence_uncentred)

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
emotions = P.emotion_prompts(n_templates=emotion_templates, seed=seed)
g_layers = geometry_layers or sorted({n_layers // 4, n_layers // 2, (3 * n_layers) // 4})
t0 = time.time()
word_acts = collect_many(model, emotions["prompt"].tolist(), [("resid_post", p) for p in geometry_poolings],
                         layers=g_layers, words=emotions["word"].tolist())
neutral_specs = sorted({("resid_post", "mean" if p == "word" else p) for p in geometry_poolings})
neutral_acts = collect_many(model, neutral_texts(), neutral_specs, layers=g_layers)
print(f"{len(emotions)} prompts ({emotions['word'].nunique()} words x {emotion_templates} templates), "
      f"layers {g_layers}, in {time.time() - t0:.0f} s")

# %% [markdown]
# ## Are PC1 and PC2 valence and arousal?
#
# PCA of the emotion vectors at each geometry layer and pooling, with and without the neutral
# PCs removed. `pc1_valence_r` is the Pearson correlation of PC1 with the circumplex valence
# (PC1 is signed to make it positive), `pc2_arousal_r` that of PC2 with arousal;
# `plane_*_R` is how well the best direction in the PC1-PC2 plane predicts each coordinate
# (high even when the plane is rotated).

# %%
rows, panels = [], {}
for pooling in geometry_poolings:
    for slot, layer in enumerate(g_layers):
        words, V = P.emotion_vectors(word_acts[("resid_post", pooling)][:, slot], emotions["word"])
        coords_df = emotions.drop_duplicates("word").set_index("word").loc[words]
        N = neutral_acts[("resid_post", "mean" if pooling == "word" else pooling)][:, slot]
        for variant, vectors in (("raw", V), ("neutral_projected", P.project_out(V, P.top_components(N, neutral_pcs)))):
            geo = P.emotion_geometry(vectors, coords_df["valence"], coords_df["arousal"])
            panels[(pooling, layer, variant)] = geo
            rows.append({"pooling": pooling, "layer": layer, "variant": variant,
                         **{k: v for k, v in geo.items() if k != "scores"}})
geometry = pd.DataFrame(rows)
geometry.round(3)

# %% [markdown]
# ## The emotion words in the PC1-PC2 plane
#
# At the middle geometry layer, for the first geometry pooling: left without, right with the
# neutral PCs projected out. If PC1 is valence, pleasant words (blue) sit right and unpleasant
# ones (red) left; if PC2 is arousal, big markers (activated words) sit at the top.

# %%
main_layer = g_layers[len(g_layers) // 2]
main_geo_pooling = geometry_poolings[0]
words = sorted(emotions["word"].unique())
coords_df = emotions.drop_duplicates("word").set_index("word").loc[words]
fig = P.geometry_figure(words, {v: panels[(main_geo_pooling, main_layer, v)] for v in ("raw", "neutral_projected")},
                        coords_df["valence"].to_numpy(), coords_df["arousal"].to_numpy(),
                        title=f"Are the two main axes of emotion vectors valence and arousal? layer {main_layer}, "
                              f"{main_geo_pooling} pooling")
save_figure(fig, out, "emotion_geometry")
fig.show()


# %% [markdown]
# ## Results
#
# Everything above goes to `results.json` in the output folder (keys documented in the last cell).

# %%
def geo(variant, pooling=main_geo_pooling, layer=main_layer):
    return {k: v for k, v in panels[(pooling, layer, variant)].items() if k != "scores"}

raw, projected = geo("raw"), geo("neutral_projected")
results = {
    "model": model_name, "n_layers": n_layers, "layers": layers, "hooks": hooks, "poolings": poolings,
    "n_prompts": len(df), "threshold": threshold, "seed": seed, "quick": quick, "torch_threads": threads,
    "emergence_layer": emergence,
    "emergence_depth_fraction": {h: None if l is None else (l + 1) / n_layers for h, l in emergence.items()},
    "emergence_layer_by_pooling": emergence_by_pooling,
    "emergence_layer_affirmative": emergence_affirmative,
    "emergence_layer_uncentred": emergence_uncentred,
    "per_layer": per_layer.to_dict(orient="records"),
    "emotion_geometry": {
        "layer": main_layer, "hook": "resid_post", "pooling": main_geo_pooling, "n_words": raw["n_words"],
        "templates_per_word": emotion_templates, "neutral_pcs": neutral_pcs,
        "pc1_valence_r": raw["pc1_valence_r"], "pc2_arousal_r": raw["pc2_arousal_r"],
        "pc1_valence_r_neutral_projected": projected["pc1_valence_r"],
        "pc2_arousal_r_neutral_projected": projected["pc2_arousal_r"],
        "raw": raw, "neutral_projected": projected,
        "all": geometry.to_dict(orient="records"),
    },
    "seconds": {"collect_prompts": collect_seconds, "total": time.time() - started},
}
save_results(out, results)
pd.Series({"emergence (main pooling)": emergence, "PC1~valence r (raw / neutral-projected)":
           (round(raw["pc1_valence_r"], 3), round(projected["pc1_valence_r"], 3)),
           "PC2~arousal r (raw / neutral-projected)": (round(raw["pc2_arousal_r"], 3), round(projected["pc2_arousal_r"], 3)),
           "seconds": round(time.time() - started)}).to_frame("value")

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `n_layers`, `layers`, `hooks`, `poolings`, `n_prompts`, `threshold`, `seed`, `quick`.
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
