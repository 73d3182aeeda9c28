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
# # 03 · Where can valence and arousal be read? Layer-wise linear probes
#
# For every layer, hook (`resid_post`: the residual stream; `attn_v`: the attention value
# vectors) and pooling (`last` token, `mean` / `max` over tokens, `word`: the emotion word's own
# tokens) we train a **linear probe** (standardised features + logistic regression, L2 strength
# chosen by cross-validation on the training rows only) for valence (positive / negative) and
# arousal (high / low), and test it on the dataset's generalisation splits:
#
# - **E1** unseen adjectives, **E2** unseen templates, **E3** random held-out prompts,
#   **E4** unseen adjectives in unseen templates;
# - **negation transfer**: trained on affirmative prompts only, tested on negated prompts whose
#   label is flipped (a probe that reads the word instead of the meaning scores below chance).
#
# Labels follow the meaning: *"Mei didn't feel happy"* is negative. For arousal that
# convention (a negated *calm* is high arousal) is doubtful, so arousal is also reported on
# affirmative templates only, where the label is clear. The chosen probes are saved to
# `probes.npz` for notebooks 04 and 05.

# %% tags=["parameters"]
model_name = "smollm2-135m"
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
quick = False                     # True: every 6th layer, ~320 prompts per axis, 1 wide pattern

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))

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
started = time.time()

# %% [markdown]
# ## Model and layers
#
# `depth fraction` below is `(layer + 1) / n_layers`, the share of the model's blocks that
# ran: a probe at depth 0.5 classifies with half a model. Quick mode: every 6th layer and about
# 320 prompts per axis.

# %%
threads = PR.set_torch_threads(n_threads)
model = load_model(model_name)
n_layers = model.cfg.n_layers
if quick:
    n_templates, n_adjectives, wide_patterns = min(n_templates, 16), min(n_adjectives, 20), min(wide_patterns, 1)
layers = list(range(0, n_layers, 6) if quick and layers is None else (layers if layers is not None else range(n_layers)))
print(f"{model_name}: {n_layers} layers, d_model {model.cfg.d_model}; probing layers {layers}; {threads} torch thread(s)")

# %% [markdown]
# ## Sweep: every axis x hook x pooling x layer
#
# For each axis: the prompts and their split masks (sizes below), the activations of every
# (hook, pooling) from one forward pass, then the probes. For each configuration: C is chosen
# by 3-fold cross-validation on the training rows, with folds **crossed on adjective and
# template pattern** (a validation row has a word and a context its fold never saw, as in E4);
# the `validation` split is that CV accuracy. The negation-transfer and affirmative-only probes
# take their C from CV on the affirmative training rows. No test row is used to fit the scaler,
# choose C or train.

# %%
tables, data, seconds = [], {}, {}
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
table.to_csv(out / "accuracy_table.csv", index=False)

# %% [markdown]
# ## Accuracy by layer and pooling
#
# One figure per axis and hook; each panel is a split (top: the train-only validation score).
# Bright = accurate, the colour scale runs from 0 so that below-chance negation transfer (a probe
# that reads the word, not the meaning) shows as dark. Valence and arousal prompts are labelled
# by meaning (flipped under negation); hover a cell for its exact accuracy.

# %%
for axis in ("valence", "arousal"):
    for hook in hooks:
        fig = PR.heatmap_figure(table, axis, hook)
        save_figure(fig, out, f"heatmap_{axis}_{hook}")
        fig.show()

# %% [markdown]
# Arousal on **affirmative templates only** (train and test), where the label is the word's
# own arousal and no convention about negation is involved.

# %%
for hook in hooks:
    fig = PR.heatmap_figure(table, "arousal", hook, variant="affirmative_only",
                            title=f"arousal, affirmative templates only: accuracy by layer and pooling, {hook}")
    save_figure(fig, out, f"heatmap_arousal_affirmative_{hook}")
    fig.show()

# %% [markdown]
# ## Comparison table: the best layer of every hook x pooling, per split
#
# For each axis, split, hook and pooling: the layer with the highest test accuracy and its
# depth fraction. This table looks at the test sets, so it is descriptive (an upper bound per
# configuration); the saved probes are chosen without them (next section).

# %%
best_rows = pd.concat([PR.best_per_split(table, n_layers).assign(variant="all"),
                       PR.best_per_split(table, n_layers, variant="affirmative_only").assign(variant="affirmative_only")])
comparison = best_rows.pivot_table(index=["axis", "variant", "hook", "pooling"], columns="split",
                                   values=["accuracy", "layer"]).round(3)
comparison

# %% [markdown]
# ## The chosen probe configuration
#
# Per axis, the (hook, pooling, layer) of the saved probes is chosen by `criterion`:
# `"validation"` (default) takes the highest crossed-CV accuracy on the training rows, so the
# test splits play no part in the choice; `"mean_heldout"` (the optimistic alternative, shown for
# comparison) takes the highest mean accuracy over E1-E4 and negation transfer. `word` pooling
# needs to know where the emotion word is, so it cannot classify free text: it is excluded
# from the saved probes but reported (last rows) for comparison. Below the table: the
# configuration the same criterion picks for affirmative templates only (train and test), the
# fair setting for arousal.

# %%
best, chosen = {}, {}
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
                     **b["affirmative_only_config"]["accuracy"]} for axis, b in best.items()}).T.round(3)

# %% [markdown]
# Accuracy over depth at the chosen hook and pooling (solid: labels by meaning; dotted:
# affirmative templates only). Negation transfer is where the model must have composed the
# negation into the representation.

# %%
for axis in ("valence", "arousal"):
    fig = PR.layer_curves_figure(table, axis, chosen[axis]["hook"], chosen[axis]["pooling"])
    save_figure(fig, out, f"layers_{axis}")
    fig.show()

# %% [markdown]
# ## Three directions per axis: logistic regression, difference of means, PC1
#
# At each axis's chosen configuration, on its training rows: the logistic-regression weights
# (mapped back to raw activation space), the difference of class means, and the first
# principal component of the template-centred training activations (signed by the labels;
# without the centring PC1 is the direction along which templates differ). Their cosines say
# whether they are one direction. These are the probes saved for notebooks 04 and 05.

# %%
matrices = {}  # (axis, hook, pooling, layer) -> [n, width]: later cells reuse them

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
cosines

# %% [markdown]
# ## The valence-arousal plane
#
# To compare the valence and arousal directions they must live in the same space, so here
# both axes are probed at the **valence** configuration (the arousal probes are refit there on
# arousal training rows). Held-out prompts (E1-E4 of both prompt sets) are projected on the
# two logistic-regression read-outs: valence prompts should spread left-right, arousal prompts
# up-down, if the two are separate directions.

# %%
shared = chosen["valence"]
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
fig.show()

# %% [markdown]
# ## Human norms: does the valence read-out follow VADER ratings?
#
# The saved valence probe reads every valence adjective that **no training prompt contains**
# (the E1 words plus all the dataset's adjectives outside the sampled set), in `vader_templates`
# affirmative training templates; the mean read-out per word is compared with the word's
# VADER rating (-4..4) by Spearman correlation. `vader_spearman_E1` uses the E1 test prompts
# only.

# %%
probe = saved[0]
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
fig.show()

# %% [markdown]
# ## Goals and references
#
# The goals of issue #5 against the chosen probes (`measured`, labels by meaning; `gap` =
# measured - goal), with arousal on affirmative templates alongside, and the two reference
# results: the Emo_LLM slides (GPT-2 value vectors) and a plain last-token script on SmolLM2.
#
# `ci_low` / `ci_high` bound a 95% interval from a **two-way cluster bootstrap** over adjectives
# and template patterns: a test split holds few distinct words and templates (E1: the held-out
# words), and rows that share one are not independent evidence. A goal above `ci_high` is missed
# by more than the luck of the draw.

# %%
for axis in ("valence", "arousal"):
    df, parts = data[axis]
    probe = logreg[axis]
    best[axis]["accuracy_ci"] = PR.split_intervals(probe, matrix_at(axis, chosen[axis]), df, parts, table, axis=axis, seed=seed)
goals = PR.goal_table(best)
goals.round(3)

# %% [markdown]
# ## A wider test, after every choice is made
#
# `n_adjectives` and `n_templates` sample part of the dataset per axis to stay inside the time
# budget, so E1 holds a few words and E2 a few template patterns, and the intervals above are wide. Here the saved
# probes, unchanged, read prompts from the whole dataset outside the training rows:
# `E1_wide` puts every adjective that no training row contains into `wide_patterns` training
# patterns (affirmative and negated twin); `E2_wide` puts the training adjectives into
# `wide_patterns` patterns that no training row contains; `E4_wide` puts the unseen adjectives into
# those unseen patterns. Intervals: the same two-way cluster bootstrap. Nothing here feeds back
# into a choice: the probes were saved before this cell.

# %%
wide = {}
for axis in ("valence", "arousal") if wide_patterns else ():
    probe = logreg[axis]
    prompts = PR.wide_heldout_prompts(*data[axis], axis=axis, n_patterns=wide_patterns, seed=seed)
    X = PR.prompt_activations(model, prompts, hooks=[probe.hook], poolings=[probe.pooling], layers=[probe.layer])
    wide[axis] = PR.wide_heldout_accuracy(probe, X[(probe.hook, probe.pooling)][:, 0, :], prompts, seed=seed)
    display(wide[axis].assign(axis=axis).set_index(["axis", "split", "rows"]).round(3))

# %% [markdown]
# ## Where the probes err, and how far a linear read-out can go
#
# For each axis at its chosen configuration: the saved probe's accuracy on the affirmative and on
# the negated rows of every split; on the negated test rows, its accuracy per negation cue; and
# the **fit ceiling**, a nearly unregularised probe (C = 100) scored on its own training rows and
# on E3 (held-out combinations of seen words and seen templates). Labels flip under negation, so
# a representation that holds the word and the negation side by side, without composing them,
# cannot be read linearly: then even the training rows stay inseparable. When the training rows
# are separated but E3 stays below a goal, weakening the regularisation only memorises rows: the
# direction it finds does not carry to new combinations of seen words and templates.

# %%
diagnosis = {}
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
diagnosis["valence"]["negators"].round(3)

# %% [markdown]
# ### Which words fail
#
# The splits above pool words; here every adjective is held out in turn (**leave one word out**,
# C of the saved probe): a probe fit on the rows of all the other words reads the held-out word's
# rows, affirmative and negated. Beside it, a probe fit on affirmative templates only reads the
# word's affirmative rows. A word the model does not know fails both; a word whose negation the
# model has not composed is read right on its own (`affirmative_only`) and fails on the negated
# rows. Bars: worst words on the left.

# %%
for axis in ("valence", "arousal"):
    df, parts = data[axis]
    probe = logreg[axis]
    diagnosis[axis]["words"] = PR.word_accuracy(matrix_at(axis, chosen[axis]), df, axis=axis, C=probe.metrics["C"], seed=seed)
    fig = PR.word_accuracy_figure(diagnosis[axis]["words"], title=f"{axis}: leave-one-word-out accuracy per adjective, "
                                  f"{chosen[axis]['hook']} {chosen[axis]['pooling']} layer {chosen[axis]['layer']}")
    save_figure(fig, out, f"words_{axis}")
    fig.show()
display(pd.DataFrame({axis: d["words"][["accuracy", "affirmative", "negated", "affirmative_only"]].mean()
                      for axis, d in diagnosis.items()}).T.round(3))
diagnosis["valence"]["words"].head(10).round(3)

# %% [markdown]
# ## Save the probes and the numbers
#
# `probes.npz` holds, for both axes, the three kinds (logreg, mean_diff, pc1) at the axis's
# chosen configuration (`helpers.probes.load` reads it back: `probes["valence"]` is the
# logistic-regression probe, `probes["valence/mean_diff"]` etc. the others). The reload below
# checks the round trip.

# %%
save(out / "probes.npz", saved)
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
print(f"saved {out / 'probes.npz'} and results.json in {time.time() - started:.0f} s")

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `n_layers`, `d_model`, `layers`, `hooks`, `poolings`, `seed`, `quick`, `criterion`, `Cs`,
#   `folds`, `n_prompts` (per axis), `split_sizes` (per axis and split: train / test rows).
# - `best`: per axis (`valence`, `arousal`), the saved probes' configuration: `layer`, `hook`,
#   `pooling`, `depth_fraction` (= (layer + 1) / n_layers), `criterion`, `validation_accuracy`,
#   `accuracy` (`E1`, `E2`, `E3`, `E4`, `negation_transfer`; labels by meaning) and
#   `accuracy_affirmative_only` (`E1`-`E4`, affirmative templates for train and test, same configuration);
#   `affirmative_only_config`: the configuration chosen on affirmative templates only (`layer`, `hook`,
#   `pooling`, `depth_fraction`, `validation_accuracy`, `accuracy` on E1-E4).
#   `accuracy_ci`: per split (E1-E4, `negation_transfer`), [low, high] of the 95% two-way cluster
#   bootstrap interval (adjectives x template patterns).
# - `alternatives`: the configuration chosen by mean held-out accuracy, and the best `word`-pooling
#   configuration, with their accuracies.
# - `best_per_split`: for every axis, variant, split, hook and pooling, the best layer, its accuracy
#   and depth fraction (descriptive; looks at the test set).
# - `direction_accuracy`: E1-E4 accuracy of each saved probe kind (`"valence/logreg"`, ...).
# - `cosines`: per axis, cosines between the three kinds (`"valence/logreg~valence/pc1"`, ...);
#   `shared_config`: all pairs, both axes, at the valence configuration.
# - `vader_spearman` (with `vader_p_value`, `vader_n_words`): Spearman correlation of the valence
#   read-out of unseen adjectives with VADER; `vader_spearman_E1` on the E1 prompts only.
# - `goals`: the goals against `best` (`measured`, `ci_low`, `ci_high`, `met`, `gap`, references).
# - `error_breakdown`: per axis, the saved probe's accuracy on the `affirmative`, `negated` and `all`
#   rows of each split (`split`, `rows`, `accuracy`, `n`); `negator_accuracy`: per axis, its accuracy on
#   the negated held-out rows per negation cue (`negator`, `accuracy`, `n`), worst first.
# - `fit_ceiling`: per axis, a C = 100 probe at the chosen configuration: `train_accuracy` (also
#   `train_accuracy_affirmative`, `train_accuracy_negated`) on its own training rows and `E3_accuracy`.
# - `wide_heldout`: per axis, the saved probe on the wide held-out splits (`E1_wide`, `E2_wide`,
#   `E4_wide`) and their `affirmative` / `negated` rows: `split`, `rows`, `n`, `n_words`, `n_patterns`,
#   `accuracy`, `ci_low`, `ci_high` (empty when `wide_patterns` is 0).
# - `word_accuracy`: per axis, every adjective held out in turn (`adjective`, `adjective_label`, `n`,
#   `accuracy`, `affirmative`, `negated`: the labels-by-meaning probe on the word's rows;
#   `affirmative_only`: a probe fit on affirmative templates on the word's affirmative rows), worst first.
# - `table`: every accuracy: rows of `axis`, `variant` (`all` | `affirmative_only`), `hook`, `pooling`,
#   `layer`, `split` (`validation`, `E1`-`E4`, `negation_transfer`), `accuracy`, `n_test`, `n_train`, `C`.
# - `seconds`: wall-clock time per axis sweep and in total.
#
# Files: `probes.npz` (load with `helpers.probes.load`), `accuracy_table.csv` (= `table`),
# and the figures (`heatmap_*`, `layers_*`, `cosines`, `valence_arousal_plane`, `vader`, `words_*`).
