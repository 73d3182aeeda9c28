"""Write notebooks/02_pca_emergence.ipynb and notebooks/03_layer_probing.ipynb (no outputs).

    python tools/build_notebooks/nb02_nb03.py

The logic lives in helpers/pca.py and helpers/probing.py; the cells below only call it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT / "tools" / "build_notebooks") not in sys.path:  # also when this file is loaded by path (tests)
    sys.path.insert(0, str(ROOT / "tools" / "build_notebooks"))
from build_common import notebook_from_cells  # noqa: E402

NB02 = ROOT / "notebooks" / "02_pca_emergence.ipynb"
NB03 = ROOT / "notebooks" / "03_layer_probing.ipynb"

SETUP = """import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))"""

# --------------------------------------------------------------------------- notebook 02
NB02_CELLS: list[tuple[str, str]] = [
    ("md", """# 02 · When does valence become the main axis? PCA across layers

A linear probe (notebook 03) asks whether valence *can* be read from a layer. PCA asks a
stronger, unsupervised question: is valence one of the **largest** directions of variation
in the activations, so that it shows up without any labels? For every layer we run a PCA of
the prompts' activations (residual stream `resid_post` and attention values `attn_v`) and
measure how well PC1 alone separates positive from negative prompts (ROC AUC), how much
variance PC1-PC3 explain, and a silhouette score of the two classes in the PC1-PC2 plane.
The **emergence layer** is the first layer where PC1 alone reaches AUC >= 0.9.

The second half looks at emotion *concepts*: one vector per emotion word of
`data/emotions.csv`, averaged over many contexts. Do the two largest directions of those
vectors line up with valence and arousal, the two axes of the circumplex of affect?"""),
    ("params", """model_name = "smollm2-135m"
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
quick = False                           # True: every 6th layer, ~320 prompts, 3 templates per emotion word"""),
    ("code", SETUP + """

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
started = time.time()"""),
    ("md", """## Model, layers and prompts

The prompts are the valence prompts of the dataset (affirmative and negated templates, label =
meaning, so a negated *happy* counts as negative), subsampled to `n_templates` x `n_adjectives`
with the seed; notebook 03 uses the same set, so its activations come from the cache. In quick
mode, every 6th layer and about 320 prompts."""),
    ("code", """threads = set_torch_threads(n_threads)
model = load_model(model_name)
n_layers = model.cfg.n_layers
if quick:
    n_templates, n_adjectives, emotion_templates = min(n_templates, 16), min(n_adjectives, 20), min(emotion_templates, 3)
layers = list(range(0, n_layers, 6) if quick and layers is None else (layers if layers is not None else range(n_layers)))
df, parts = prompt_set("valence", n_templates=n_templates, n_adjectives=n_adjectives, seed=seed)
print(f"{model_name}: {n_layers} layers, d_model {model.cfg.d_model}; {len(df)} prompts "
      f"({int(df['negation'].sum())} negated); layers {layers}; {threads} torch thread(s)")"""),
    ("md", """## Activations

One forward pass per batch gives every (hook, pooling) pair. The poolings notebook 03 needs
(`last`, `mean`, `max`, `word`) are collected too, at no extra forward cost, so that notebook 03
finds them in the activation cache."""),
    ("code", """collect_poolings = list(dict.fromkeys(list(poolings) + ["last", "mean", "max", "word"]))
t0 = time.time()
acts = prompt_activations(model, df, hooks=hooks, poolings=collect_poolings, layers=layers)
acts = {spec: X for spec, X in acts.items() if spec[1] in poolings}
collect_seconds = time.time() - t0
print(f"activations in {collect_seconds:.0f} s:", {f"{h}/{p}": X.shape for (h, p), X in acts.items()})"""),
    ("md", """## PCA at every layer

Prompts differ far more between templates (length, frame, person, position of the slot)
than between the words in the slot, so a plain PCA spends its first components on the
templates. The main analysis therefore removes each template's mean activation first
(`centering = "template"`: what is left is what the word changes in that context); the plain
PCA (`centering = "none"`) is kept for comparison. For each hook, pooling, centering and
layer: the ROC AUC of PC1 alone for the valence label (sign-free: a PC's sign is arbitrary),
the same AUC on affirmative prompts only (where the word alone decides the label), the
explained variance of PC1-PC3 and the silhouette of the two classes in the PC1-PC2 plane."""),
    ("code", """y = df["y"].to_numpy()
affirmative = ~df["negation"].to_numpy()
frames, coords = [], {}
for (hook, pooling), X in acts.items():
    for centering, Xc in (("template", P.center_within(X, df["template_id"])), ("none", X)):
        table, coords[(hook, pooling, centering)] = P.layer_metrics(Xc, y, layers, subsets={"affirmative": affirmative})
        frames.append(table.assign(hook=hook, pooling=pooling, centering=centering))
per_layer = pd.concat(frames, ignore_index=True)
per_layer.round(3).pivot_table(index="layer", columns=["centering", "hook", "pooling"], values="pc1_auc")"""),
    ("md", """## The two classes across depth

Each frame is one layer (drag the slider; it opens on the layer where PC1 separates best):
the template-centred prompts in the plane of their first two principal components, blue =
positive meaning, red = negative, crosses = negated templates.
Coordinates are divided by the layer's PC1 standard deviation, so only the shape changes
from layer to layer. Hover a point to read its prompt."""),
    ("code", """main_pooling = poolings[0]
hover = (df["prompt"] + "  [" + df["label"] + "]").to_numpy()
for hook in hooks:
    auc = per_layer[(per_layer.hook == hook) & (per_layer.pooling == main_pooling) & (per_layer.centering == "template")]
    fig = P.layer_slider_figure(coords[(hook, main_pooling, "template")], layers, y, df["negation"].to_numpy(), hover,
                                active=int(auc["pc1_auc"].to_numpy().argmax()),
                                title=f"Does valence separate along PC1 as depth grows? {hook}, {main_pooling} token")
    save_figure(fig, out, f"pca_layers_{hook}")
    fig.show()"""),
    ("md", """## Emergence over depth

For the first pooling, one colour per hook. Left: PC1's AUC for valence at every layer
(solid: template-centred, all prompts; dotted: affirmative prompts only; thin dashed: plain
PCA); the grey line is the emergence threshold, read on the solid curve. Middle: the share of
variance PC1-PC3 explain. Right: silhouette of the two classes in the PC1-PC2 plane (1 = tight,
separate clusters; 0 = overlapping). The other poolings are in the table above. Middle: the share of variance PC1-PC3
explain. Right: silhouette of the two classes in the PC1-PC2 plane (1 = tight, separate
clusters; 0 = overlapping)."""),
    ("code", """centred = per_layer[per_layer.centering == "template"]
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
print("emergence layer (no centering):", emergence_uncentred)"""),
    ("md", """## Emotion-concept vectors

Each word of `data/emotions.csv` (with its circumplex valence and arousal in -1..1) is placed
in `emotion_templates` affirmative templates. Its **emotion vector** is its mean activation
over those contexts, minus the mean over all words. Part of that vector can be generic
(sentence position, template style); following the emotion-vector literature, we optionally
project out the top `neutral_pcs` principal components of activations on emotionally neutral
sentences (`data/neutral.txt`) and report both versions."""),
    ("code", """emotions = P.emotion_prompts(n_templates=emotion_templates, seed=seed)
g_layers = geometry_layers or sorted({n_layers // 4, n_layers // 2, (3 * n_layers) // 4})
t0 = time.time()
word_acts = collect_many(model, emotions["prompt"].tolist(), [("resid_post", p) for p in geometry_poolings],
                         layers=g_layers, words=emotions["word"].tolist())
neutral_specs = sorted({("resid_post", "mean" if p == "word" else p) for p in geometry_poolings})
neutral_acts = collect_many(model, neutral_texts(), neutral_specs, layers=g_layers)
print(f"{len(emotions)} prompts ({emotions['word'].nunique()} words x {emotion_templates} templates), "
      f"layers {g_layers}, in {time.time() - t0:.0f} s")"""),
    ("md", """## Are PC1 and PC2 valence and arousal?

PCA of the emotion vectors at each geometry layer and pooling, with and without the neutral
PCs removed. `pc1_valence_r` is the Pearson correlation of PC1 with the circumplex valence
(PC1 is signed to make it positive), `pc2_arousal_r` that of PC2 with arousal;
`plane_*_R` is how well the best direction in the PC1-PC2 plane predicts each coordinate
(high even when the plane is rotated)."""),
    ("code", """rows, panels = [], {}
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
geometry.round(3)"""),
    ("md", """## The emotion words in the PC1-PC2 plane

At the middle geometry layer, for the first geometry pooling: left without, right with the
neutral PCs projected out. If PC1 is valence, pleasant words (blue) sit right and unpleasant
ones (red) left; if PC2 is arousal, big markers (activated words) sit at the top."""),
    ("code", """main_layer = g_layers[len(g_layers) // 2]
main_geo_pooling = geometry_poolings[0]
words = sorted(emotions["word"].unique())
coords_df = emotions.drop_duplicates("word").set_index("word").loc[words]
fig = P.geometry_figure(words, {v: panels[(main_geo_pooling, main_layer, v)] for v in ("raw", "neutral_projected")},
                        coords_df["valence"].to_numpy(), coords_df["arousal"].to_numpy(),
                        title=f"Are the two main axes of emotion vectors valence and arousal? layer {main_layer}, "
                              f"{main_geo_pooling} pooling")
save_figure(fig, out, "emotion_geometry")
fig.show()"""),
    ("md", """## Results

Everything above goes to `results.json` in the output folder (keys documented in the last cell)."""),
    ("code", """def geo(variant, pooling=main_geo_pooling, layer=main_layer):
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
           "seconds": round(time.time() - started)}).to_frame("value")"""),
    ("md", """## Keys of `results.json`

- `model`, `n_layers`, `layers`, `hooks`, `poolings`, `n_prompts`, `threshold`, `seed`, `quick`.
- `emergence_layer`: `{hook: first layer (int) where PC1 AUC >= threshold for the first pooling,
  template-centred PCA, or null}`; `emergence_depth_fraction`: the same as `(layer + 1) / n_layers`;
  `emergence_layer_by_pooling` (`"hook/pooling"` keys), `emergence_layer_affirmative`
  (AUC on affirmative prompts only) and `emergence_layer_uncentred` (plain PCA).
- `per_layer`: one record per (hook, pooling, centering, layer): `pc1_auc`, `pc2_auc`, `best_pc_auc`,
  `best_pc`, `pc1_auc_affirmative`, `ev1`-`ev3` (explained-variance ratios), `silhouette`;
  `centering` is `"template"` (each template's mean removed) or `"none"`.
- `emotion_geometry`: at `layer` / `hook` / `pooling` (the middle geometry layer, first geometry
  pooling): `pc1_valence_r`, `pc2_arousal_r` (raw emotion vectors) and
  `pc1_valence_r_neutral_projected`, `pc2_arousal_r_neutral_projected` (after projecting out
  `neutral_pcs` neutral PCs); `raw` and `neutral_projected` hold every number (cross terms
  `pc1_arousal_r`, `pc2_valence_r`, `explained_variance_ratio`, `plane_valence_R`,
  `plane_arousal_R`, `n_words`); `all` lists them for every geometry layer and pooling.
- `seconds`: wall-clock time of the prompt collection and of the whole notebook."""),
]

# --------------------------------------------------------------------------- notebook 03
NB03_CELLS: list[tuple[str, str]] = [
    ("md", """# 03 · Where can valence and arousal be read? Layer-wise linear probes

For every layer, hook (`resid_post`: the residual stream; `attn_v`: the attention value
vectors) and pooling (`last` token, `mean` / `max` over tokens, `word`: the emotion word's own
tokens) we train a **linear probe** (standardised features + logistic regression, L2 strength
chosen by cross-validation on the training rows only) for valence (positive / negative) and
arousal (high / low), and test it on the dataset's generalisation splits:

- **E1** unseen adjectives, **E2** unseen templates, **E3** random held-out prompts,
  **E4** unseen adjectives in unseen templates;
- **negation transfer**: trained on affirmative prompts only, tested on negated prompts whose
  label is flipped (a probe that reads the word instead of the meaning scores below chance).

Labels follow the meaning: *"Mei didn't feel happy"* is negative. For arousal that
convention (a negated *calm* is high arousal) is doubtful, so arousal is also reported on
affirmative templates only, where the label is clear. The chosen probes are saved to
`probes.npz` for notebooks 04 and 05."""),
    ("params", """model_name = "smollm2-135m"
hooks = ["resid_post", "attn_v"]
poolings = ["last", "mean", "max", "word"]
layers = None                     # None: every layer
n_templates = 80                  # prompts per axis: n_templates x n_adjectives (more templates: better E2)
n_adjectives = 40
Cs = [0.001, 0.01, 0.1, 1.0]      # logistic-regression C grid (inverse L2 strength)
folds = 3                         # CV folds on train, crossed on adjective x template pattern
criterion = "validation"          # how the saved probe config is chosen: "validation" | "mean_heldout"
vader_templates = 4               # templates per unseen adjective for the VADER correlation
wide_patterns = 24                # template patterns per wide held-out split (0: skip that test)
seed = 0
n_threads = None                  # torch threads; None: 1 if other work is using the CPUs, else torch's default
output_dir = "../runs/smollm2-135m/03_layer_probing"
quick = False                     # True: every 6th layer, ~320 prompts per axis, 1 wide pattern"""),
    ("code", SETUP + """

import time
import numpy as np
import pandas as pd
import plotly.express as px
from IPython.display import display

from helpers import load_model
from helpers import probing as PR
from helpers.data import describe_splits
from helpers.notebook import output_folder, save_figure, save_results
from helpers.probes import load, readout, save

out = output_folder(output_dir)
started = time.time()"""),
    ("md", """## Model and layers

`depth fraction` below is `(layer + 1) / n_layers`, the share of the model's blocks that
ran: a probe at depth 0.5 classifies with half a model. Quick mode: every 6th layer and about
320 prompts per axis."""),
    ("code", """threads = PR.set_torch_threads(n_threads)
model = load_model(model_name)
n_layers = model.cfg.n_layers
if quick:
    n_templates, n_adjectives, wide_patterns = min(n_templates, 16), min(n_adjectives, 20), min(wide_patterns, 1)
layers = list(range(0, n_layers, 6) if quick and layers is None else (layers if layers is not None else range(n_layers)))
print(f"{model_name}: {n_layers} layers, d_model {model.cfg.d_model}; probing layers {layers}; {threads} torch thread(s)")"""),
    ("md", """## Sweep: every axis x hook x pooling x layer

For each axis: the prompts and their split masks (sizes below), the activations of every
(hook, pooling) from one forward pass, then the probes. For each configuration: C is chosen
by 3-fold cross-validation on the training rows, with folds **crossed on adjective and
template pattern** (a validation row has a word and a context its fold never saw, as in E4);
the `validation` split is that CV accuracy. The negation-transfer and affirmative-only probes
take their C from CV on the affirmative training rows. No test row is used to fit the scaler,
choose C or train."""),
    ("code", """tables, data, seconds = [], {}, {}
for axis in ("valence", "arousal"):
    t0 = time.time()
    df, parts, acts, table = PR.run_axis(model, axis, hooks=hooks, poolings=poolings, layers=layers,
                                         n_templates=n_templates, n_adjectives=n_adjectives, seed=seed, Cs=Cs, folds=folds)
    data[axis] = (df, parts)
    tables.append(table)
    seconds[axis] = time.time() - t0
    print(f"{axis}: {len(df)} prompts, {len(table)} rows in {seconds[axis]:.0f} s")
    display(describe_splits(df, parts))
    del acts
table = pd.concat(tables, ignore_index=True)
table.to_csv(out / "accuracy_table.csv", index=False)"""),
    ("md", """## Accuracy by layer and pooling

One figure per axis and hook; each panel is a split (top: the train-only validation score).
Bright = accurate, the colour scale runs from 0 so that below-chance negation transfer (a probe
that reads the word, not the meaning) shows as dark. Valence and arousal prompts are labelled
by meaning (flipped under negation); hover a cell for its exact accuracy."""),
    ("code", """for axis in ("valence", "arousal"):
    for hook in hooks:
        fig = PR.heatmap_figure(table, axis, hook)
        save_figure(fig, out, f"heatmap_{axis}_{hook}")
        fig.show()"""),
    ("md", """Arousal on **affirmative templates only** (train and test), where the label is the word's
own arousal and no convention about negation is involved."""),
    ("code", """for hook in hooks:
    fig = PR.heatmap_figure(table, "arousal", hook, variant="affirmative_only",
                            title=f"arousal, affirmative templates only: accuracy by layer and pooling, {hook}")
    save_figure(fig, out, f"heatmap_arousal_affirmative_{hook}")
    fig.show()"""),
    ("md", """## Comparison table: the best layer of every hook x pooling, per split

For each axis, split, hook and pooling: the layer with the highest test accuracy and its
depth fraction. This table looks at the test sets, so it is descriptive (an upper bound per
configuration); the saved probes are chosen without them (next section)."""),
    ("code", """best_rows = pd.concat([PR.best_per_split(table, n_layers).assign(variant="all"),
                       PR.best_per_split(table, n_layers, variant="affirmative_only").assign(variant="affirmative_only")])
comparison = best_rows.pivot_table(index=["axis", "variant", "hook", "pooling"], columns="split",
                                   values=["accuracy", "layer"]).round(3)
comparison"""),
    ("md", """## The chosen probe configuration

Per axis, the (hook, pooling, layer) of the saved probes is chosen by `criterion`:
`"validation"` (default) takes the highest crossed-CV accuracy on the training rows, so the
test splits play no part in the choice; `"mean_heldout"` (the optimistic alternative, shown for
comparison) takes the highest mean accuracy over E1-E4 and negation transfer. `word` pooling
needs to know where the emotion word is, so it cannot classify free text: it is excluded
from the saved probes but reported (last rows) for comparison. Below the table: the
configuration the same criterion picks for affirmative templates only (train and test), the
fair setting for arousal."""),
    ("code", """best, chosen = {}, {}
for axis in ("valence", "arousal"):
    chosen[axis], best[axis] = PR.summarise_axis(table, axis, n_layers, criterion=criterion)
alternatives = {f"{axis} ({name})": PR.choose_config(table, axis, **kw) for axis in ("valence", "arousal")
                for name, kw in (("mean_heldout", {"criterion": "mean_heldout"}),
                                 ("word pooling", {"exclude_poolings": [p for p in poolings if p != "word"]}))
                if name != "word pooling" or "word" in poolings}
rows = {f"{axis} (chosen: {criterion})": {**chosen[axis], **best[axis]["accuracy"]} for axis in best}
rows.update({name: {**cfg, **PR.accuracies_at(table, name.split()[0], cfg["hook"], cfg["pooling"], cfg["layer"])}
             for name, cfg in alternatives.items()})
display(pd.DataFrame(rows).T.drop(columns=["criterion"]).round(3))
pd.DataFrame({axis: {**{k: v for k, v in b["affirmative_only_config"].items() if k != "accuracy"},
                     **b["affirmative_only_config"]["accuracy"]} for axis, b in best.items()}).T.round(3)"""),
    ("md", """Accuracy over depth at the chosen hook and pooling (solid: labels by meaning; dotted:
affirmative templates only). Negation transfer is where the model must have composed the
negation into the representation."""),
    ("code", """for axis in ("valence", "arousal"):
    fig = PR.layer_curves_figure(table, axis, chosen[axis]["hook"], chosen[axis]["pooling"])
    save_figure(fig, out, f"layers_{axis}")
    fig.show()"""),
    ("md", """## Three directions per axis: logistic regression, difference of means, PC1

At each axis's chosen configuration, on its training rows: the logistic-regression weights
(mapped back to raw activation space), the difference of class means, and the first
principal component of the template-centred training activations (signed by the labels;
without the centring PC1 is the direction along which templates differ). Their cosines say
whether they are one direction. These are the probes saved for notebooks 04 and 05."""),
    ("code", """matrices = {}  # (axis, hook, pooling, layer) -> [n, width]: later cells reuse them

def matrix_at(axis, cfg):
    key = (axis, cfg["hook"], cfg["pooling"], cfg["layer"])
    if key not in matrices:
        X = PR.prompt_activations(model, data[axis][0], hooks=[cfg["hook"]], poolings=[cfg["pooling"]], layers=layers,
                                  progress=False)
        matrices[key] = X[(cfg["hook"], cfg["pooling"])][:, layers.index(cfg["layer"])]
    return matrices[key]

saved, kind_accuracy = [], {}
for axis in ("valence", "arousal"):
    df, parts = data[axis]
    X = matrix_at(axis, chosen[axis])
    probes = PR.train_all_kinds(X, df, parts["train"], axis=axis, model_name=model_name, seed=seed, Cs=Cs,
                                **{k: chosen[axis][k] for k in ("hook", "pooling", "layer")})
    for probe in probes:
        kind_accuracy[f"{axis}/{probe.kind}"] = PR.score_splits(probe, X, df, parts)
        probe.metrics.update({f"accuracy_{s}": a for s, a in kind_accuracy[f"{axis}/{probe.kind}"].items()})
    saved += probes
logreg = {p.axis: p for p in saved if p.kind == "logreg"}  # the read-out each axis is judged by
cosines = {axis: PR.direction_cosines([p for p in saved if p.axis == axis]) for axis in ("valence", "arousal")}
display(pd.DataFrame(kind_accuracy).T.round(3))
cosines"""),
    ("md", """## The valence-arousal plane

To compare the valence and arousal directions they must live in the same space, so here
both axes are probed at the **valence** configuration (the arousal probes are refit there on
arousal training rows). Held-out prompts (E1-E4 of both prompt sets) are projected on the
two logistic-regression read-outs: valence prompts should spread left-right, arousal prompts
up-down, if the two are separate directions."""),
    ("code", """shared = chosen["valence"]
shared_probes = [p for p in saved if p.axis == "valence"] + (
    [p for p in saved if p.axis == "arousal"] if chosen["arousal"] == shared else
    PR.train_all_kinds(matrix_at("arousal", shared), data["arousal"][0], data["arousal"][1]["train"], axis="arousal",
                       model_name=model_name, seed=seed, Cs=Cs, **{k: shared[k] for k in ("hook", "pooling", "layer")}))
cosines["shared_config"] = {**{k: shared[k] for k in ("hook", "pooling", "layer")},
                            **PR.direction_cosines(shared_probes)}
fig = PR.cosine_figure(shared_probes, title=f"Are the probe directions one direction? cosines at {shared['hook']}, "
                       f"{shared['pooling']}, layer {shared['layer']}")
save_figure(fig, out, "cosines")
fig.show()
points = []
for axis in ("valence", "arousal"):
    df, parts = data[axis]
    held = parts["E1"] | parts["E2"] | parts["E3"] | parts["E4"]
    X = matrix_at(axis, shared)[held]
    points.append(pd.DataFrame({"x": shared_probes[0].decision_function(X), "y": shared_probes[3].decision_function(X),
                                "group": axis + " : " + df.loc[held, "label"], "negated": df.loc[held, "negation"],
                                "prompt": df.loc[held, "prompt"]}).sample(frac=1, random_state=seed).head(500))
fig = PR.plane_figure(pd.concat(points), title="Do held-out prompts spread along two separate axes? "
                      "valence read-out vs arousal read-out", x_label="valence probe read-out (> 0: positive)",
                      y_label="arousal probe read-out (> 0: high)")
save_figure(fig, out, "valence_arousal_plane")
fig.show()"""),
    ("md", """## Human norms: does the valence read-out follow VADER ratings?

The saved valence probe reads every valence adjective that **no training prompt contains**
(the E1 words plus all the dataset's adjectives outside the sampled set), in `vader_templates`
affirmative training templates; the mean read-out per word is compared with the word's
VADER rating (-4..4) by Spearman correlation. `vader_spearman_E1` uses the E1 test prompts
only."""),
    ("code", """probe = saved[0]
df, parts = data["valence"]
unseen = PR.unseen_adjective_prompts(df, parts, n_templates=vader_templates, seed=seed)
scores = readout(model, probe, unseen["prompt"].tolist(),
                 words=unseen["adjective"].tolist() if probe.pooling == "word" else None)
vader = PR.vader_correlation(scores, unseen, np.ones(len(unseen), bool))
vader_e1 = PR.vader_correlation(probe.decision_function(matrix_at("valence", chosen["valence"])), df, parts["E1"])
fig = px.scatter(
    vader["per_word"].dropna(), x="vader", y="score", hover_name="adjective",
    title=f"Does the probe rank unseen words like human raters? Spearman {vader['spearman']:.2f} "
          f"({vader['n_words']} words)", labels={"vader": "VADER rating (-4..4)", "score": "mean probe read-out"})
save_figure(fig, out, "vader")
fig.show()"""),
    ("md", """## Goals and references

The goals of issue #5 against the chosen probes (`measured`, labels by meaning; `gap` =
measured - goal), with arousal on affirmative templates alongside, and the two reference
results: the Emo_LLM slides (GPT-2 value vectors) and a plain last-token script on SmolLM2.

`ci_low` / `ci_high` bound a 95% interval from a **two-way cluster bootstrap** over adjectives
and template patterns: a test split holds few distinct words and templates (E1: the held-out
words), and rows that share one are not independent evidence. A goal above `ci_high` is missed
by more than the luck of the draw."""),
    ("code", """for axis in ("valence", "arousal"):
    df, parts = data[axis]
    probe = logreg[axis]
    best[axis]["accuracy_ci"] = PR.split_intervals(probe, matrix_at(axis, chosen[axis]), df, parts, table, axis=axis, seed=seed)
goals = PR.goal_table(best)
goals.round(3)"""),
    ("md", """## A wider test, after every choice is made

`n_adjectives` and `n_templates` sample part of the dataset per axis to stay inside the time
budget, so E1 holds a few words and E2 a few template patterns, and the intervals above are wide. Here the saved
probes, unchanged, read prompts from the whole dataset outside the training rows:
`E1_wide` puts every adjective that no training row contains into `wide_patterns` training
patterns (affirmative and negated twin); `E2_wide` puts the training adjectives into
`wide_patterns` patterns that no training row contains; `E4_wide` puts the unseen adjectives into
those unseen patterns. Intervals: the same two-way cluster bootstrap. Nothing here feeds back
into a choice: the probes were saved before this cell."""),
    ("code", """wide = {}
for axis in ("valence", "arousal") if wide_patterns else ():
    probe = logreg[axis]
    prompts = PR.wide_heldout_prompts(*data[axis], axis=axis, n_patterns=wide_patterns, seed=seed)
    X = PR.prompt_activations(model, prompts, hooks=[probe.hook], poolings=[probe.pooling], layers=[probe.layer])
    wide[axis] = PR.wide_heldout_accuracy(probe, X[(probe.hook, probe.pooling)][:, 0, :], prompts, seed=seed)
    display(wide[axis].assign(axis=axis).set_index(["axis", "split", "rows"]).round(3))"""),
    ("md", """## Where the probes err, and how far a linear read-out can go

For each axis at its chosen configuration: the saved probe's accuracy on the affirmative and on
the negated rows of every split; on the negated test rows, its accuracy per negation cue; and
the **fit ceiling**, a nearly unregularised probe (C = 100) scored on its own training rows and
on E3 (held-out combinations of seen words and seen templates). Labels flip under negation, so
a representation that holds the word and the negation side by side, without composing them,
cannot be read linearly: then even the training rows stay inseparable. When the training rows
are separated but E3 stays below a goal, weakening the regularisation only memorises rows: the
direction it finds does not carry to new combinations of seen words and templates."""),
    ("code", """diagnosis = {}
for axis in ("valence", "arousal"):
    df, parts = data[axis]
    X = matrix_at(axis, chosen[axis])
    probe = logreg[axis]
    held = parts["E1"] | parts["E2"] | parts["E3"] | parts["E4"]
    diagnosis[axis] = {"breakdown": PR.error_breakdown(probe, X, df, parts),
                       "negators": PR.negator_accuracy(probe, X, df, held),
                       "ceiling": PR.fit_ceiling(X, df, parts, axis=axis, seed=seed)}
display(pd.concat({axis: d["breakdown"].pivot(index="split", columns="rows", values="accuracy")
                   for axis, d in diagnosis.items()}).round(3))
display(pd.DataFrame({axis: d["ceiling"] for axis, d in diagnosis.items()}).T.round(3))
diagnosis["valence"]["negators"].round(3)"""),
    ("md", """### Which words fail

The splits above pool words; here every adjective is held out in turn (**leave one word out**,
C of the saved probe): a probe fit on the rows of all the other words reads the held-out word's
rows, affirmative and negated. Beside it, a probe fit on affirmative templates only reads the
word's affirmative rows. A word the model does not know fails both; a word whose negation the
model has not composed is read right on its own (`affirmative_only`) and fails on the negated
rows. Bars: worst words on the left."""),
    ("code", """for axis in ("valence", "arousal"):
    df, parts = data[axis]
    probe = logreg[axis]
    diagnosis[axis]["words"] = PR.word_accuracy(matrix_at(axis, chosen[axis]), df, axis=axis, C=probe.metrics["C"], seed=seed)
    fig = PR.word_accuracy_figure(diagnosis[axis]["words"], title=f"{axis}: leave-one-word-out accuracy per adjective, "
                                  f"{chosen[axis]['hook']} {chosen[axis]['pooling']} layer {chosen[axis]['layer']}")
    save_figure(fig, out, f"words_{axis}")
    fig.show()
display(pd.DataFrame({axis: d["words"][["accuracy", "affirmative", "negated", "affirmative_only"]].mean()
                      for axis, d in diagnosis.items()}).T.round(3))
diagnosis["valence"]["words"].head(10).round(3)"""),
    ("md", """## Save the probes and the numbers

`probes.npz` holds, for both axes, the three kinds (logreg, mean_diff, pc1) at the axis's
chosen configuration (`helpers.probes.load` reads it back: `probes["valence"]` is the
logistic-regression probe, `probes["valence/mean_diff"]` etc. the others). The reload below
checks the round trip."""),
    ("code", """save(out / "probes.npz", saved)
reloaded = load(out / "probes.npz")
assert all(np.allclose(reloaded[f"{p.axis}/{p.kind}"].direction, p.direction) for p in saved)
results = {
    "model": model_name, "n_layers": n_layers, "d_model": model.cfg.d_model, "layers": layers, "hooks": hooks,
    "poolings": poolings, "seed": seed, "quick": quick, "criterion": criterion, "Cs": Cs, "folds": folds,
    "torch_threads": threads,
    "n_prompts": {axis: len(d[0]) for axis, d in data.items()},
    "split_sizes": {axis: describe_splits(*d).set_index("split")[["train", "test"]].to_dict(orient="index")
                    for axis, d in data.items()},
    "best": best,
    "alternatives": {name: {**cfg, "accuracy": PR.accuracies_at(table, name.split()[0], cfg["hook"], cfg["pooling"],
                                                                 cfg["layer"])} for name, cfg in alternatives.items()},
    "best_per_split": best_rows.to_dict(orient="records"),
    "direction_accuracy": kind_accuracy,
    "cosines": cosines,
    "vader_spearman": vader["spearman"], "vader_p_value": vader["p_value"], "vader_n_words": vader["n_words"],
    "vader_spearman_E1": vader_e1["spearman"], "vader_n_words_E1": vader_e1["n_words"],
    "goals": goals.to_dict(orient="records"),
    "error_breakdown": {axis: d["breakdown"].to_dict(orient="records") for axis, d in diagnosis.items()},
    "negator_accuracy": {axis: d["negators"].to_dict(orient="records") for axis, d in diagnosis.items()},
    "fit_ceiling": {axis: d["ceiling"] for axis, d in diagnosis.items()},
    "word_accuracy": {axis: d["words"].to_dict(orient="records") for axis, d in diagnosis.items()},
    "wide_heldout": {axis: t.to_dict(orient="records") for axis, t in wide.items()},
    "table": table.to_dict(orient="records"),
    "seconds": {**{f"sweep_{a}": s for a, s in seconds.items()}, "total": time.time() - started},
}
save_results(out, results)
print(f"saved {out / 'probes.npz'} and results.json in {time.time() - started:.0f} s")"""),
    ("md", """## Keys of `results.json`

- `model`, `n_layers`, `d_model`, `layers`, `hooks`, `poolings`, `seed`, `quick`, `criterion`, `Cs`,
  `folds`, `n_prompts` (per axis), `split_sizes` (per axis and split: train / test rows).
- `best`: per axis (`valence`, `arousal`), the saved probes' configuration: `layer`, `hook`,
  `pooling`, `depth_fraction` (= (layer + 1) / n_layers), `criterion`, `validation_accuracy`,
  `accuracy` (`E1`, `E2`, `E3`, `E4`, `negation_transfer`; labels by meaning) and
  `accuracy_affirmative_only` (`E1`-`E4`, affirmative templates for train and test, same configuration);
  `affirmative_only_config`: the configuration chosen on affirmative templates only (`layer`, `hook`,
  `pooling`, `depth_fraction`, `validation_accuracy`, `accuracy` on E1-E4).
  `accuracy_ci`: per split (E1-E4, `negation_transfer`), [low, high] of the 95% two-way cluster
  bootstrap interval (adjectives x template patterns).
- `alternatives`: the configuration chosen by mean held-out accuracy, and the best `word`-pooling
  configuration, with their accuracies.
- `best_per_split`: for every axis, variant, split, hook and pooling, the best layer, its accuracy
  and depth fraction (descriptive; looks at the test set).
- `direction_accuracy`: E1-E4 accuracy of each saved probe kind (`"valence/logreg"`, ...).
- `cosines`: per axis, cosines between the three kinds (`"valence/logreg~valence/pc1"`, ...);
  `shared_config`: all pairs, both axes, at the valence configuration.
- `vader_spearman` (with `vader_p_value`, `vader_n_words`): Spearman correlation of the valence
  read-out of unseen adjectives with VADER; `vader_spearman_E1` on the E1 prompts only.
- `goals`: the issue's goals against `best` (`measured`, `ci_low`, `ci_high`, `met`, `gap`, references).
- `error_breakdown`: per axis, the saved probe's accuracy on the `affirmative`, `negated` and `all`
  rows of each split (`split`, `rows`, `accuracy`, `n`); `negator_accuracy`: per axis, its accuracy on
  the negated held-out rows per negation cue (`negator`, `accuracy`, `n`), worst first.
- `fit_ceiling`: per axis, a C = 100 probe at the chosen configuration: `train_accuracy` (also
  `train_accuracy_affirmative`, `train_accuracy_negated`) on its own training rows and `E3_accuracy`.
- `wide_heldout`: per axis, the saved probe on the wide held-out splits (`E1_wide`, `E2_wide`,
  `E4_wide`) and their `affirmative` / `negated` rows: `split`, `rows`, `n`, `n_words`, `n_patterns`,
  `accuracy`, `ci_low`, `ci_high` (empty when `wide_patterns` is 0).
- `word_accuracy`: per axis, every adjective held out in turn (`adjective`, `adjective_label`, `n`,
  `accuracy`, `affirmative`, `negated`: the labels-by-meaning probe on the word's rows;
  `affirmative_only`: a probe fit on affirmative templates on the word's affirmative rows), worst first.
- `table`: every accuracy: rows of `axis`, `variant` (`all` | `affirmative_only`), `hook`, `pooling`,
  `layer`, `split` (`validation`, `E1`-`E4`, `negation_transfer`), `accuracy`, `n_test`, `n_train`, `C`.
- `seconds`: wall-clock time per axis sweep and in total.

Files: `probes.npz` (load with `helpers.probes.load`), `accuracy_table.csv` (= `table`),
and the figures (`heatmap_*`, `layers_*`, `cosines`, `valence_arousal_plane`, `vader`, `words_*`)."""),
]


def build_nb02() -> nbformat.NotebookNode:
    return notebook_from_cells(NB02_CELLS)


def build_nb03() -> nbformat.NotebookNode:
    return notebook_from_cells(NB03_CELLS)


def main() -> None:
    for path, nb in ((NB02, build_nb02()), (NB03, build_nb03())):
        nbformat.write(nb, str(path))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
