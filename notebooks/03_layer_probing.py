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
#
# **Split seeds.** One split holds out only a few adjectives (E1) and template patterns (E2), and
# which ones moves the accuracies. So every headline accuracy is measured on `seeds` splits (five
# by default) of the same prompts: the sweep and the choice of configuration use the first seed
# (validation data only), then every seed refits the chosen probes on its own training rows and
# scores its own test rows. Headline numbers are the **mean over seeds**, with the seeds' min-max and
# a 95% interval that resamples seeds, adjectives and template patterns. Figures from one seed
# (the heatmaps, the saved probes' directions, the diagnosis) say so.

# %% tags=["parameters"]
model_name = "smollm2-135m"
preset = "default"            # "quick": every 6th layer, ~320 prompts per axis; "full": more prompts
overrides = {}                # any field of helpers.settings.Probing, e.g. {"criterion": "mean_heldout"}
seeds = None                  # split seeds, e.g. [0, 1, 2]; None: the preset's (default 0-4, quick 0-1)
output_dir = "../runs/smollm2-135m/03_layer_probing"
backend = "transformer_lens"  # or "nnsight"
remote = False

# %%
from IPython.display import display

from helpers import load_model, plots
from helpers.notebook import output_folder, save_figure, save_results
from helpers.probing_study import ProbingStudy
from helpers.runtime import set_torch_threads
from helpers.settings import Probing

settings = Probing.preset(preset, **overrides, **({} if seeds is None else {"seeds": tuple(seeds)}))
out = output_folder(output_dir)
threads = set_torch_threads(settings.torch_threads)
model = load_model(model_name, backend=backend, remote=remote)
study = ProbingStudy(model, settings)
print(f"{model_name}: {study.n_layers} layers; probing {study.layers}; seeds {study.seeds}; {threads} thread(s)")

# %% [markdown]
# ## Sweep: every axis x hook x pooling x layer (first split seed)
#
# For each axis: the prompts and their split masks (sizes below: the first seed's), the activations
# of every (hook, pooling) from one forward pass, then the probes: all layers of a (hook, pooling),
# every C and every CV fold are one batch of logistic regressions (`helpers.probe_solver`). For each
# configuration: C is chosen
# by 3-fold cross-validation on the training rows, with folds **crossed on adjective and
# template pattern** (a validation row has a word and a context its fold never saw, as in E4);
# the `validation` split is that CV accuracy. The negation-transfer and affirmative-only probes
# take their C from CV on the affirmative training rows. No test row is used to fit the scaler,
# choose C or train.

# %%
study.sweep()

# %% [markdown]
# ## Accuracy by layer and pooling (first split seed)
#
# One figure per axis and hook; each panel is a split (top: the train-only validation score).
# Bright = accurate, the colour scale runs from 0 so that below-chance negation transfer (a probe
# that reads the word, not the meaning) shows as dark. Valence and arousal prompts are labelled
# by meaning (flipped under negation); hover a cell for its exact accuracy.

# %%
for axis in ("valence", "arousal"):
    for hook in settings.hooks:
        fig = plots.heatmap_figure(study.table, axis, hook)
        save_figure(fig, out, f"heatmap_{axis}_{hook}")
        fig.show()

# %% [markdown]
# Arousal on **affirmative templates only** (train and test), where the label is the word's
# own arousal and no convention about negation is involved.

# %%
for hook in settings.hooks:
    fig = plots.heatmap_figure(study.table, "arousal", hook, variant="affirmative_only",
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
study.best_per_split()

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
# fair setting for arousal, and each hook's best configuration (`best resid_post`, `best attn_v`).
#
# The choice is made once, on the first seed's validation data. Then every configuration in these
# tables is refit on each seed's training rows (C again by crossed CV on them) and scored on that
# seed's test rows; the accuracies shown are the **means over seeds**. (The seeds share one prompt
# sample, so a row that is a test row under one seed can be a training row under another; within a
# seed no test row is ever fitted.)

# %%
chosen_table, affirmative_table = study.choose()
display(chosen_table)
affirmative_table

# %% [markdown]
# The chosen configurations' accuracy on every seed: how much of a headline number is the luck of one
# split. `ci_low` / `ci_high`: the 95% interval that resamples seeds, adjectives and template patterns.

# %%
study.seed_table()

# %% [markdown]
# Accuracy over depth at the chosen hook and pooling (solid: labels by meaning; dotted:
# affirmative templates only). Negation transfer is where the model must have composed the
# negation into the representation.

# %%
for axis in ("valence", "arousal"):
    fig = plots.layer_curves_figure(study.table, axis, study.chosen[axis]["hook"], study.chosen[axis]["pooling"])
    save_figure(fig, out, f"layers_{axis}")
    fig.show()

# %% [markdown]
# ## Three directions per axis: logistic regression, difference of means, PC1 (first split seed)
#
# At each axis's chosen configuration, on the first seed's training rows: the logistic-regression weights
# (mapped back to raw activation space), the difference of class means, and the first
# principal component of the template-centred training activations (signed by the labels;
# without the centring PC1 is the direction along which templates differ). Their cosines say
# whether they are one direction. These are the probes saved for notebooks 04 and 05.

# %%
display(study.directions())
study.cosines

# %% [markdown]
# ## The valence-arousal plane (first split seed)
#
# To compare the valence and arousal directions they must live in the same space, so here
# both axes are probed at the **valence** configuration (the arousal probes are refit there on
# arousal training rows). Held-out prompts (E1-E4 of both prompt sets) are projected on the
# two logistic-regression read-outs: valence prompts should spread left-right, arousal prompts
# up-down, if the two are separate directions.

# %%
shared_probes, points = study.plane()
shared = study.chosen["valence"]
fig = plots.cosine_figure(shared_probes, title=f"Are the probe directions one direction? cosines at {shared['hook']}, "
                          f"{shared['pooling']}, layer {shared['layer']}")
save_figure(fig, out, "cosines")
fig.show()
fig = plots.plane_figure(points, title="Do held-out prompts spread along two separate axes? valence read-out vs "
                         "arousal read-out", x_label="valence probe read-out (> 0: positive)",
                         y_label="arousal probe read-out (> 0: high)")
save_figure(fig, out, "valence_arousal_plane")
fig.show()

# %% [markdown]
# ## Human norms: does the valence read-out follow VADER ratings? (first split seed)
#
# The saved valence probe reads every valence adjective that **no training prompt contains**
# (the E1 words plus all the dataset's adjectives outside the sampled set), in `vader_templates`
# affirmative training templates; the mean read-out per word is compared with the word's
# VADER rating (-4..4) by Spearman correlation. `vader_spearman_E1` uses the E1 test prompts
# only.

# %%
vader = study.vader()
fig = plots.vader_readout_figure(vader)
save_figure(fig, out, "vader")
fig.show()

# %% [markdown]
# ## Human norms for both probes: do their read-outs rank unseen words like human raters? (first split seed)
#
# The VADER correlation has a twin for each axis in the Warriner et al. (2013) norms (mean human valence
# and arousal, 1-9, about 20 raters a word): the same protocol (every adjective of the axis that no
# training prompt contains, in `vader_templates` affirmative training templates, the mean read-out per
# word), now also for the saved **arousal** probe, whose training labels are our own. Spearman with a 95%
# bootstrap interval over words; `n_words`: the words the norms rate (`n_unrated`: absent from them,
# dropped; the norms list lemmas, so participles such as *thrilled* are missing).

# %%
human_readout = study.probe_human_readout()
fig = plots.human_readout_figure(study.human_readout)
save_figure(fig, out, "human_readout")
fig.show()
human_readout

# %% [markdown]
# How to read it: each probe was fit to separate two classes of our words, never to a rating, so a rank
# correlation with the humans' scores of words it never saw says its direction carries a graded
# quantity that matches theirs, not only the class boundary. Valence against Warriner should land near
# its VADER twin (two panels of human raters); if arousal falls well below valence, either the arousal
# direction tracks our hand labels more than what raters call arousal, or the model's arousal is weaker
# than its valence. The ridge read-outs at the end of this notebook are fit to the ratings themselves,
# on random rated lemmas rather than emotion adjectives: a broader question, not a ceiling for these.

# %% [markdown]
# ## Goals and references
#
# The goals of issue #5 against the chosen probes (`measured`: the mean over split seeds, labels by
# meaning; `gap` = measured - goal; `seed_min` / `seed_max`: the seeds' range), with arousal on
# affirmative templates alongside, and the two reference results: the Emo_LLM slides (GPT-2 value
# vectors) and a plain last-token script on SmolLM2.
#
# `ci_low` / `ci_high` bound a 95% bootstrap interval that resamples the **split seeds, the
# adjectives and the template patterns**: a test split holds few distinct words and templates (E1:
# the held-out words), rows that share one are not independent evidence, and another split holds
# out other words. A goal above `ci_high` is missed by more than the luck of the draw.

# %%
study.goals()

# %% [markdown]
# ## A wider test, after every choice is made
#
# `n_adjectives` and `n_templates` sample part of the dataset per axis to stay inside the time
# budget, so E1 holds a few words and E2 a few template patterns, and the intervals above are wide.
# Here every seed's probe at the chosen configuration, unchanged, reads prompts from the whole
# dataset outside that seed's training rows. One pool of prompts serves all seeds: every adjective
# in `wide_patterns` patterns of the sampled templates and in `wide_patterns` patterns outside the
# sample (affirmative and negated twin). Per seed, `E1_wide` is every adjective its training rows do
# not contain, in the pool's sampled patterns it trains on; `E2_wide` its training adjectives in
# the outside patterns; `E4_wide` the unseen adjectives in the outside patterns. Accuracy: mean over
# seeds (`min`, `max`), interval resampling seeds, words and patterns; `n`, `n_words`, `n_patterns`
# are per seed, averaged. Nothing here feeds back into a choice.

# %%
study.wide_test()

# %% [markdown]
# ## Arousal labelled by human ratings, not by us
#
# Do the arousal results survive labels that are not our own judgement? The dataset's arousal adjectives
# that the norms rate are cut into thirds of their human arousal: the top third is labelled high, the
# bottom third low, the middle third is dropped (as are the unrated words; `coverage` counts them). First
# the agreement of our hand labels with these (over the words both label; Cohen's kappa beside it). Then
# every labelled word, in the wide test's template patterns (`wide_patterns` from the sample and as many
# outside it, at least `folds + 1` of each so that crossed CV has patterns to hold out; affirmative and
# negated; activations the wide test collected are reused), is split by the same protocol (E1-E4,
# negation transfer, labels by meaning), and the arousal probe, at the configuration **chosen on the hand
# labels' validation rows** (not re-chosen, so no test row of either labelling chose it), is refit and
# scored on every split seed. Beside it: our hand labels on the very same prompts, and the headline (hand
# labels, the sampled words and templates).

# %%
labels_table = study.arousal_human_labels()
print({k: study.human_labels[k] for k in ("agreement", "kappa", "n_words", "disagreements", "middle_third_hand_labels")})
print(study.human_labels["coverage"])
labels_table

# %% [markdown]
# How to read it: the middle third is gone, so these words are the clearer cases of both labellings;
# compare the human-thirds column with the hand labels on the same prompts, not with the headline.
# Where the two columns agree, the arousal accuracies do not rest on our judgement; a human-thirds
# accuracy well below the hand one would say the probe learns our labels rather than what raters call
# arousal. `disagreements` lists the words whose hand label the raters overturn, and
# `middle_third_hand_labels` how our labels split the dropped words, where the raters hesitate too.

# %% [markdown]
# ## Where the probes err, and how far a linear read-out can go (first split seed)
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
breakdown, ceiling = study.diagnose()
display(breakdown, ceiling)
study.diagnosis["valence"]["negators"].round(3)

# %% [markdown]
# ### Which words fail (first split seed's C)
#
# The splits above pool words; here every adjective is held out in turn (**leave one word out**,
# C of the saved probe): a probe fit on the rows of all the other words reads the held-out word's
# rows, affirmative and negated. Beside it, a probe fit on affirmative templates only reads the
# word's affirmative rows. A word the model does not know fails both; a word whose negation the
# model has not composed is read right on its own (`affirmative_only`) and fails on the negated
# rows. Bars: worst words on the left.

# %%
for axis in ("valence", "arousal"):
    words = study.word_accuracy(axis)
    cfg = study.chosen[axis]
    fig = plots.word_accuracy_figure(words, title=f"{axis}: leave-one-word-out accuracy per adjective, "
                                     f"{cfg['hook']} {cfg['pooling']} layer {cfg['layer']}")
    save_figure(fig, out, f"words_{axis}")
    fig.show()
study.diagnosis["valence"]["words"].head(10).round(3)

# %% [markdown]
# ## Continuous read-outs of human ratings
#
# Binary labels are our own judgement; the Warriner et al. (2013) norms give mean human valence
# and arousal (1-9, about 20 raters per word) for 13,915 lemmas. Here a ridge regression reads
# each rating from a word's activations, averaged over a few frames (`helpers.readouts.FRAMES`:
# `The word "{}"`, `Bob feels {}, so Bob`, `It was {}. It`), at every layer. The words are split
# once: the layer and ridge strength are chosen by cross-validation on the training words, and
# the held-out words (never trained on) are scored once: Spearman with a bootstrap interval.
# Goals: >= 0.80 for valence and >= 0.65 for arousal on SmolLM2.

# %%
study.human_readouts()

# %% [markdown]
# ## Save the probes and the numbers
#
# `probes.npz` holds, for both axes, the three kinds (logreg, mean_diff, pc1) at the axis's
# chosen configuration (`helpers.probes.load` reads it back: `probes["valence"]` is the
# logistic-regression probe, `probes["valence/mean_diff"]` etc. the others). The reload below
# checks the round trip.

# %%
results = study.save(out)
save_results(out, results)
print(f"saved {out / 'probes.npz'} and results.json in {results['seconds']['total']:.0f} s")

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `n_layers`, `d_model`, `layers`, `hooks`, `poolings`, `seed` (sampling), `seeds` (split seeds),
#   `split_seed` (the first: sweep, choice, saved probes), `settings`, `criterion`, `Cs`, `folds`, `n_prompts`
#   (per axis), `split_sizes` (per axis and split: train / test rows, first seed); `backend`
#   (`transformer_lens` or `nnsight`) and `remote` (True: run on NDIF).
# - `best`: per axis (`valence`, `arousal`), the saved probes' configuration: `layer`, `hook`,
#   `pooling`, `depth_fraction` (= (layer + 1) / n_layers), `criterion`, `validation_accuracy` (first
#   seed: what the choice saw; `validation_accuracy_seeds`: the mean over seeds);
#   `accuracy` (`E1`, `E2`, `E3`, `E4`, `negation_transfer`; labels by meaning): the **mean over seeds**,
#   with `accuracy_seeds` (per seed, in the order of `seeds`), `accuracy_range` ([min, max]) and `accuracy_ci`
#   ([low, high] of the 95% bootstrap interval over seeds, adjectives and template patterns);
#   `accuracy_first_seed`: the single-seed figures; the same five keys with `_affirmative_only`
#   (`E1`-`E4`, affirmative templates for train and test, same configuration);
#   `affirmative_only_config`: the configuration chosen on affirmative templates only (`layer`, `hook`,
#   `pooling`, `depth_fraction`, `validation_accuracy`, `accuracy` on E1-E4 as means over seeds, with
#   `accuracy_seeds_affirmative_only`, `accuracy_range_affirmative_only`, `accuracy_ci_affirmative_only`).
# - `alternatives`: the configuration chosen by mean held-out accuracy, the best `word`-pooling
#   configuration and each hook's best (`"valence (best attn_v)"`), with `accuracy` (means over seeds),
#   `accuracy_seeds`, `accuracy_range`, `accuracy_ci`.
# - `best_per_split`: for every axis, variant, split, hook and pooling, the best layer, its accuracy
#   and depth fraction (descriptive; looks at the test set).
# - `direction_accuracy`: E1-E4 accuracy of each saved probe kind (`"valence/logreg"`, ...).
# - `cosines`: per axis, cosines between the three kinds (`"valence/logreg~valence/pc1"`, ...);
#   `shared_config`: all pairs, both axes, at the valence configuration.
# - `vader_spearman` (with `vader_p_value`, `vader_n_words`): Spearman correlation of the valence
#   read-out of unseen adjectives with VADER; `vader_spearman_E1` on the E1 prompts only.
# - `human_readout`: per axis, the saved probe's mean read-out of its unseen adjectives (VADER's protocol)
#   against the Warriner human rating of that axis: `spearman`, `ci` (95%, bootstrap over words), `n_words`
#   (rated), `n_unrated` (absent from the norms, dropped).
# - `arousal_human_labels`: arousal labelled by the top vs bottom third of Warriner arousal over the rated
#   arousal adjectives: `agreement` with the hand labels, `kappa`, `n_words` (words both label), `confusion`
#   (`"hand->human"`: words), `disagreements`, `coverage` (`n_words`, `n_rated`, `n_unrated`, `unrated`, `n_high`,
#   `n_low`, `n_middle`, `low_max`, `high_min`), `middle_third_hand_labels` (our labels of the dropped words);
#   `config` (the hand labels' chosen arousal configuration); the prompts (the labelled words in the wide test's
#   patterns): `n_prompt_words`, `n_prompts`, `n_patterns`, `n_prompts_run` (not reused), `share_high`; the probe's `accuracy` (mean over `seeds`), `accuracy_seeds`,
#   `accuracy_range`, `accuracy_ci`, the same with `_affirmative_only`, `validation_accuracy`; and
#   `hand_labels_same_words` (`accuracy`, `accuracy_ci`, `accuracy_affirmative_only`: hand labels, same prompts).
# - `goals`: the goals against `best` (`measured` = mean over seeds, `ci_low`, `ci_high`, `seed_min`,
#   `seed_max`, `met`, `gap`, references).
# - `error_breakdown`: per axis, the saved probe's accuracy on the `affirmative`, `negated` and `all`
#   rows of each split (`split`, `rows`, `accuracy`, `n`); `negator_accuracy`: per axis, its accuracy on
#   the negated held-out rows per negation cue (`negator`, `accuracy`, `n`), worst first.
# - `fit_ceiling`: per axis, a C = 100 probe at the chosen configuration: `train_accuracy` (also
#   `train_accuracy_affirmative`, `train_accuracy_negated`) on its own training rows and `E3_accuracy`.
# - `wide_heldout`: per axis, every seed's probe on its wide held-out splits (`E1_wide`, `E2_wide`,
#   `E4_wide`) and their `affirmative` / `negated` rows: `split`, `rows`, `n`, `n_words`, `n_patterns` (per
#   seed, averaged), `accuracy` (mean over seeds), `min`, `max`, `ci_low`, `ci_high`, `seeds` (per seed;
#   empty when `wide_patterns` is 0).
# - `word_accuracy`: per axis, every adjective held out in turn (`adjective`, `adjective_label`, `n`,
#   `accuracy`, `affirmative`, `negated`: the labels-by-meaning probe on the word's rows;
#   `affirmative_only`: a probe fit on affirmative templates on the word's affirmative rows), worst first.
#   `error_breakdown`, `negator_accuracy`, `fit_ceiling`, `word_accuracy`, `direction_accuracy`, `cosines` and
#   the VADER keys are the first seed's (single seed).
# - `table`: every accuracy of the first seed's sweep: rows of `axis`, `variant` (`all` | `affirmative_only`),
#   `hook`, `pooling`, `layer`, `split` (`validation`, `E1`-`E4`, `negation_transfer`), `accuracy`, `n_test`,
#   `n_train`, `C`.
# - `seconds`: wall-clock time per axis sweep, of the seeds' refits (`seeds`), the wide test, the human
#   read-outs (`human_readout`), the human-labelled arousal probe (`arousal_human_labels`) and in total.
#
# Files: `probes.npz` (load with `helpers.probes.load`), `accuracy_table.csv` (= `table`),
# and the figures (`heatmap_*`, `layers_*`, `cosines`, `valence_arousal_plane`, `vader`, `human_readout`, `words_*`).
