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
# # 04 · Half a model beats the whole one? Probes against prompting
#
# *LLaMAs Have Feelings Too* (Di Palma et al., ACL 2025) found that a linear probe on a middle
# layer classifies sentiment polarity better than prompting the same model, by up to 14
# accuracy points, with about 57% less memory because the layers above the probe never run.
# This notebook repeats that comparison on a small model, side by side in one run:
#
# | method | what runs | trained on |
# |---|---|---|
# | `zero_shot` | the whole model, one forward pass per text | nothing |
# | `few_shot` | the whole model, prompt with `k_shot` labelled examples | examples from the training folds only |
# | `*_calibrated` | the same passes, minus the prompt's bias on content-free inputs | nothing more |
# | `probe_transfer` | layers 0..L, then a linear read-out | templated prompts only (hook, pooling, layer chosen on them) |
# | `probe_in_domain` | layers 0..L, then a linear read-out | the sentence set, nested cross-validation |
#
# Prompting is scored by the next-token log-probabilities of the label words, so every text
# gets an answer; free generation is checked separately. Accuracy (with a bootstrap 95%
# interval) is measured on the natural sentences of `data/sentences.jsonl`, on their hard
# subset, and on the templated E4 split; memory (parameter bytes touched and peak RSS) and
# time per 100 texts are measured for each method in a fresh process that loads only what the
# method needs.

# %% tags=["parameters"]
model_name = "smollm2-135m"
preset = "default"            # "quick": 60 sentences, 300 templated prompts, 16 measured texts; "full": more
overrides = {}                # any field of helpers.settings.Comparison, e.g. {"transfer_layer": 15}
output_dir = "../runs/smollm2-135m/04_probe_vs_prompting"
backend = "transformer_lens"  # or "nnsight"
remote = False

# %%
import pandas as pd
from IPython.display import display

from helpers import load_model, plots
from helpers.comparison_study import ComparisonStudy
from helpers.memory import scaling_table
from helpers.notebook import output_folder, save_figure, save_results
from helpers.prompting import build_prompts
from helpers.runtime import set_torch_threads
from helpers.settings import Comparison

ComparisonStudy.require_local(remote)  # prompting needs the weights here: one ValueError, before loading
settings = Comparison.preset(preset, **overrides)
out = output_folder(output_dir)

# %% [markdown]
# ## Data: sentences, their folds, and templated prompts
#
# The sentence set is split into `n_folds` folds stratified by label and hardness. The same
# folds serve the in-domain probe (trained on the other folds) and few-shot prompting (its
# examples are drawn from the other folds), so no method ever sees a test sentence's label.
# The transfer probe trains on templated prompts of the `train` split; E4 holds unseen
# adjectives in unseen templates. In quick mode everything is smaller.

# %%
threads = set_torch_threads(settings.torch_threads)
model = load_model(model_name, backend=backend, remote=remote)
study = ComparisonStudy(model, settings)
print(study.describe(), f"; {threads} torch thread(s)")

# %% [markdown]
# ## The model and where its parameters sit
#
# The probe's memory saving is decided by this split: the embedding matrix is needed by every
# method (it turns tokens into vectors), the layers above the probe and the unembedding only by
# prompting. In small models the embedding is a large share of all parameters, so the saving
# is smaller than in an 8B model.

# %%
print(f"{model_name}: {study.n_layers} layers, d_model {model.emo.d_model}, chat template: {study.lm.chat}")
study.parameter_shares().style.format("{:.1%}")

# %% [markdown]
# ## Zero-shot prompting
#
# One prompt per text, through the chat template for an instruct model or as plain text for a
# base model (shown below). The answer is read from one forward pass: the log-probabilities of
# the label words at the answer position. The instruction and chat header are shared by every
# prompt, so their key/value cache is computed once and reused (same numbers, less time).
# Contextual calibration subtracts the log-odds the same prompt gives to content-free inputs
# ("N/A", "", "[MASK]").

# %%
print(build_prompts(study.lm, [study.texts[0]])[0])
study.zero_shot()

# %% [markdown]
# ## Few-shot prompting
#
# `k_shot` labelled examples (half positive, half negative, shuffled) precede each text; for a
# sentence in fold *f* they are drawn from the other folds, for an E4 prompt from the templated
# training prompts. Each fold's prompt gets its own calibration offset.

# %%
offsets = study.few_shot()
print(build_prompts(study.lm, [study.texts[0]], study.few["examples"][0])[0])
print("calibration offsets per fold:", offsets)

# %% [markdown]
# Each point is one sentence: its log-odds for "positive" under each prompt, coloured by
# the true label. An uncalibrated prompt that answers one label almost always sits on one side
# of zero; calibration shifts the threshold but cannot separate overlapping clouds.

# %%
fig = plots.logodds_figure(study.logodds_variants(), study.y, study.texts)
save_figure(fig, out, "prompt_logodds")
fig.show()

# %% [markdown]
# ## Does free generation give a parseable answer?
#
# Scoring label words always yields an answer; a user who lets the model *generate* gets one
# only if the first line of the text contains exactly one label word. Greedy generation of up
# to 10 tokens on `n_generate` sentences of the first fold (balanced by label and hardness;
# few-shot examples from the other folds). Unparsed answers are listed first.

# %%
parse, shown = study.generation()
display(parse)
shown

# %% [markdown]
# ## Probe transfer: trained on templated prompts, tested on sentences
#
# Pooled activations of every layer (each hook of `hooks`: the residual stream `resid_post` and
# the attention value vectors `attn_v`, notebook 03's two hooks; last token and mean over tokens)
# for the templated training prompts, the E4 prompts and the sentences, from one forward pass
# per batch (cached on disk). The hook, pooling and layer are chosen **on templated prompts only**:
# a probe (C = 0.01 for this scan) is fitted on part of the training prompts and validated on
# training prompts whose adjective or template was held out. The dotted lines show each probe's accuracy on the
# sentences for information; they play no part in the choice.

# %%
study.transfer_selection()
fig = plots.transfer_figure(study.selection, study.chosen, model_name)
save_figure(fig, out, "transfer_layer_choice")
fig.show()

# %% [markdown]
# The transfer probe itself: a logistic probe on all templated training prompts at the
# chosen hook, pooling and layer. Its regularisation C is chosen on the same templated validation
# (fit on part of the training prompts, scored on those with a held-out adjective or template).
# The dotted curves above used the scan's C = 0.01; a different C can move the sentence accuracy
# by several points, and it is still chosen without looking at the sentences.

# %%
study.transfer_probe()

# %% [markdown]
# What the same choice gives when it may use one hook only (for information: each row is
# chosen and fitted exactly like the transfer probe, on templated prompts, then scored on the
# sentences). The residual stream alone was this notebook's only candidate before the value
# vectors were added.

# %%
study.transfer_by_hook()

# %% [markdown]
# ## Probe in domain: trained on sentences, nested cross-validation
#
# For each fold, the hook, pooling and layer are chosen by an inner 3-fold cross-validation on the
# other folds, a probe is trained there and predicts the held-out fold. The deployed probe (for
# the memory/time measurement and the E4 column) is chosen and trained the same way on all
# sentences.

# %%
display(study.in_domain())
print(f"in-domain (out-of-fold) accuracy {(study.cv['pred'] == study.y).mean():.3f}; deployed probe: "
      f"{study.probe_in_domain.hook}, {study.probe_in_domain.pooling}, layer {study.probe_in_domain.layer}")

# %% [markdown]
# ## The probe as a classifier: `classify` runs half a model
#
# `helpers.probes.classify(model, probe, texts)` stops the forward pass at the probe's layer.
# Its labels must equal the read-out computed above from the all-layer activations.

# %%
print(f"classify == read-out on {study.check_classify()} sentences")

# %% [markdown]
# ## Memory and time, each method in a fresh process
#
# Each method runs in a new Python process that loads only the tensors it needs: the whole
# model for prompting; for a probe, the embedding and layers 0..L (the model is built without
# them, the final norm and unembedding are never loaded). The process reports its peak resident
# memory (`ru_maxrss`, which includes Python, torch and the tokenizer, shown separately as
# "after imports"), the bytes of parameters it loaded, and the wall time of `n_measure`
# sentences with `measure_threads` torch thread(s). Calibration reuses the same passes plus
# three content-free prompts (timed apart and added to the calibrated variants' time), so
# calibrated variants share their memory row. The outputs of each process are compared with
# the numbers computed above.

# %%
study.measure()

# %% [markdown]
# ## Side by side
#
# Accuracy on the sentence set (95% bootstrap interval), on its hard subset and on templated
# E4 prompts, with the measured cost. `best_prompting` is the best of the four prompting
# variants on the sentences themselves, calibration included (choosing it on the test set
# favours prompting).

# %%
table = study.compare()
display(table.style.format("{:.3f}", na_rep="-").format(
    {"param_MB": "{:.0f}", "peak_rss_mb": "{:.0f}", "seconds_per_100": "{:.1f}"}))
print(f"best prompting: {study.best}; probe minus best prompting (points): {study.gap}")
fig = plots.comparison_figure(study.methods, model_name)
save_figure(fig, out, "probe_vs_prompting")
fig.show()

# %% [markdown]
# ## Why the memory saving is what it is
#
# The probe keeps the embedding and layers 0..L, prompting needs everything. From the
# parameter counts, the predicted saving is 1 - (embedding + (L+1) x layer) / total; the
# measured saving in parameter bytes must match it, and the saving in peak RSS is smaller
# because the Python/torch runtime is paid by both.

# %%
study.memory_saving()

# %% [markdown]
# ## How the saving grows with depth and width
#
# The same accounting from published configs of Llama-family models (layers, d_model, d_ff,
# vocabulary, heads, KV heads; tied embeddings counted once). As models get deeper and wider the
# embedding's share falls. With an untied unembedding (Llama-2, Llama-3.1 8B and up) a probe at
# exactly half depth saves 50% at any size, because the unembedding it skips is as large as the
# embedding it keeps; the paper's 57% needs a probe in the lower ~42% of the layers
# (`depth_for_57`: the deepest probe, as a share of the layers, that still saves 57%). A model
# with a tied, relatively large embedding (SmolLM2-135M, Gemma 3 270M) saves much less at the
# same depth. The star is this run's measurement.

# %%
scaling = scaling_table()
display(pd.DataFrame(scaling).set_index("model")[["n_layers", "d_model", "vocab", "tied", "params_total",
                                                  "embedding_share", "saving_at_25", "saving_at_50", "depth_for_57"]])
fig = plots.scaling_figure(scaling, {"model": model_name, "params_total": study.counts["total"],
                                     "saving": study.saving["params"]})
save_figure(fig, out, "memory_scaling")
fig.show()

# %% [markdown]
# ## Goals, and is prompting better than chance at all?
#
# The goals: probe-transfer >= 0.85 and probe-in-domain >= 0.90 on the sentences, each
# at least 14 points above the best prompting variant. A prompting variant counts as better than
# chance only when its whole 95% interval lies above 0.5.

# %%
study.goals()

# %% [markdown]
# ## Save the results
#
# Everything above goes to `results.json` (keys documented below), beside the figures.

# %%
reference = study.reference_probe(out.parent / "03_layer_probing" / "probes.npz")
results = study.results(scaling, reference)
save_results(out, results)
print(f"wrote {out / 'results.json'} after {results['seconds_total']:.0f} s")

# %% [markdown]
# ## `results.json`
#
# - `model`: the model name; `backend` (`transformer_lens` or `nnsight`) and `remote` (True: run on NDIF).
# - `methods`: for each of `zero_shot`, `zero_shot_calibrated`, `few_shot`, `few_shot_calibrated`,
#   `probe_transfer`, `probe_in_domain`: `accuracy` on the sentence set with `ci_low`/`ci_high`
#   (percentile bootstrap 95%, 2000 resamples), `accuracy_hard`, `accuracy_easy`, `accuracy_E4`
#   (templated E4 sample, `n_E4`), `answered_positive` (share of "positive" answers), `n`, and the
#   fresh-process measurement: `seconds_per_100` (wall seconds per 100 sentences, `measure_threads`
#   threads), `param_bytes` (parameter bytes loaded and touched; tied weights once), `peak_rss_mb`
#   (process peak RSS, runtime included), `rss_after_imports_mb`, `rss_after_load_mb`, `load_seconds`.
#   Calibrated variants share the memory of their uncalibrated prompt; their time adds the
#   content-free passes.
# - `best_prompting`: the prompting variant with the best sentence accuracy.
# - `probe_minus_best_prompting`: 100 x (probe_in_domain accuracy - best prompting accuracy), in points;
#   `probe_transfer_minus_best_prompting`: the same for the transfer probe.
# - `memory_saving_fraction`: 1 - parameter bytes of the transfer probe / of prompting (measured);
#   `memory_saving_fraction_predicted` (from parameter counts), `memory_saving_fraction_rss` (peak RSS),
#   `memory_saving_fraction_rss_net` (peak RSS minus the runtime after imports),
#   `memory_saving_fraction_in_domain` (parameter bytes, the in-domain probe's layer).
# - `parse_rate`: per prompt (`zero_shot`, `few_shot`): `n`, `parse_rate` (answers with exactly one label
#   word on their first line), `answered_positive`, `accuracy_parsed`, `accuracy_unparsed_as_wrong`.
# - `scaling_table`: per Llama-family config: `model`, `n_layers`, `d_model`, `d_ff`, `vocab`, `n_heads`,
#   `n_kv_heads`, `tied`, `params_total`, `params_embedding`, `params_per_layer`, `embedding_share`,
#   `layers_share`, `saving_at_25`/`_50`/`_75` (probe at that share of the depth), `depth_for_57` (the
#   deepest probe, as a share of the layers run, that still saves 57%; null if none).
# - `parameter_counts`: this model's `embedding`, `per_layer`, `head`, `n_layers`, `total`, `embedding_share`.
# - `transfer_probe`: `layer`, `hook`, `pooling`, `C` (with `C_validation`: templated validation accuracy per C),
#   `chosen_by`, `by_hook` (per hook: the configuration the same choice makes with that hook only, its
#   `validation_accuracy` and `sentence_accuracy`), `validation` (per hook, pooling and layer: templated
#   `validation_accuracy` and, for information, `sentence_accuracy`).
# - `in_domain_probe`: per-fold choices (`hook`, `pooling`, `layer`, `inner_cv_accuracy`, `C`) and the `deployed` probe.
# - `calibration_offsets`, `few_shot_examples` (per fold), `reference_probes` (notebook 03's valence probe on
#   the sentences, when its file exists), `goals`, `prompting_above_chance` (per prompting variant: its 95%
#   interval lies above 0.5), sizes (`n_sentences`, `n_hard`, `n_E4`,
#   `n_templated_train`, `n_measure`, `k_shot`, `n_folds`), `seed`, `settings`,
#   `measure_threads`, `timings` (seconds of the main steps), `seconds_total`.
