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
probes_path = None        # notebook 03's probes (reference row); None: <output_dir>/../03_layer_probing/probes.npz
n_sentences = None        # None: all sentences; else a sample stratified by label x hard
n_folds = 5               # folds of the sentence set (in-domain probe CV and few-shot example draws)
k_shot = 4                # few-shot examples (balanced labels), drawn from training folds only
n_templated_train = 1600  # templated training prompts of the transfer probe (train split)
n_e4 = 200                # templated E4 test prompts (unseen adjectives in unseen templates)
transfer_layer = None     # None: chosen on templated validation prompts; an int fixes it
transfer_hook = None      # None: chosen among hooks; "resid_post" or "attn_v" fixes it
transfer_pooling = None   # None: chosen among poolings; "last" or "mean" fixes it
hooks = ["resid_post", "attn_v"]  # the hooks of notebook 03; both probes choose among hooks x poolings
poolings = ["mean", "last"]
n_generate = 40           # texts whose free generation is parsed (per prompt variant)
n_measure = 100           # texts run in the fresh-process memory/time measurement
batch_size = 16
measure_threads = 1       # torch threads of the measurement processes (same for every method)
n_threads = None          # torch threads here; None: 1 if other work is using the CPUs, else torch's default
seed = 0
output_dir = "../runs/smollm2-135m/04_probe_vs_prompting"
quick = False             # True: 60 sentences, 300 templated prompts, 16 measured texts

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))

import time
import numpy as np
import pandas as pd
from IPython.display import display

from helpers import baseline as B
from helpers import memory as M
from helpers import load_model
from helpers.collect import collect_many
from helpers.data import load_prompts, load_sentences, splits
from helpers.notebook import output_folder, save_figure, save_results
from helpers.probes import classify, readout, train_probe
from helpers.probing import set_torch_threads

out = output_folder(output_dir)
started = time.time()
timings = {}

# %% [markdown]
# ## Data: sentences, their folds, and templated prompts
#
# The sentence set is split into `n_folds` folds stratified by label and hardness. The same
# folds serve the in-domain probe (trained on the other folds) and few-shot prompting (its
# examples are drawn from the other folds), so no method ever sees a test sentence's label.
# The transfer probe trains on templated prompts of the `train` split; E4 holds unseen
# adjectives in unseen templates. In quick mode everything is smaller.

# %%
if quick:
    n_sentences = min(n_sentences or 60, 60)
    n_folds, n_templated_train, n_e4 = 3, min(n_templated_train, 300), min(n_e4, 40)
    n_generate, n_measure = min(n_generate, 8), min(n_measure, 16)
threads = set_torch_threads(n_threads)
sentences = B.stratified_sample(load_sentences(), n_sentences, ["label", "hard"], seed).reset_index(drop=True)
texts, y, hard = sentences["text"].tolist(), sentences["y"].to_numpy(), sentences["hard"].to_numpy()
folds = B.stratified_folds(sentences["label"] + "|" + sentences["hard"].astype(str), n_folds, seed)
prompts = load_prompts("valence")
parts = splits(prompts, seed=seed)
train_rows = B.stratified_sample(prompts[parts["train"]], n_templated_train, ["label", "negation"], seed).reset_index(drop=True)
e4_rows = B.stratified_sample(prompts[parts["E4"]], n_e4, ["label", "negation"], seed).reset_index(drop=True)
e4_texts, y_e4 = e4_rows["prompt"].tolist(), e4_rows["y"].to_numpy()
print(f"{len(sentences)} sentences ({int(hard.sum())} hard), {n_folds} folds; {len(train_rows)} templated training "
      f"prompts, {len(e4_rows)} E4 prompts; {threads} torch thread(s)")

# %% [markdown]
# ## The model and where its parameters sit
#
# The probe's memory saving is decided by this split: the embedding matrix is needed by every
# method (it turns tokens into vectors), the layers above the probe and the unembedding only by
# prompting. In small models the embedding is a large share of all parameters, so the saving
# is smaller than in an 8B model.

# %%
model = load_model(model_name)
lm = B.as_lm(model)
n_layers = model.cfg.n_layers
counts = M.param_counts(model.original_model)
shares = {"embedding": counts["embedding"] / counts["total"], "layers": counts["per_layer"] * n_layers / counts["total"],
          "final norm + unembedding (untied part)": counts["head"] / counts["total"]}
print(f"{model_name}: {n_layers} layers, d_model {model.cfg.d_model}, chat template: {lm.chat}, BOS: {lm.prepend_bos}; "
      f"{counts['total'] / 1e6:.1f}M parameters")
pd.Series(shares, name="share of parameters").to_frame().style.format("{:.1%}")

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
print(B.build_prompts(lm, [texts[0]])[0])
start = time.perf_counter()
zero = B.prompting_logodds(lm, texts, batch_size=batch_size)
timings["zero_shot_sentences"] = time.perf_counter() - start
start = time.perf_counter()
zero_e4 = B.prompting_logodds(lm, e4_texts, batch_size=batch_size)
timings["zero_shot_E4"] = time.perf_counter() - start
print(f"content-free offset {zero['offset']:+.2f}; answers 'positive' for "
      f"{B.predict_labels(zero['raw']).mean():.0%} of sentences uncalibrated, "
      f"{B.predict_labels(zero['calibrated']).mean():.0%} calibrated")

# %% [markdown]
# ## Few-shot prompting
#
# `k_shot` labelled examples (half positive, half negative, shuffled) precede each text; for a
# sentence in fold *f* they are drawn from the other folds, for an E4 prompt from the templated
# training prompts. Each fold's prompt gets its own calibration offset.

# %%
start = time.perf_counter()
few = B.few_shot_by_fold(lm, texts, y, folds, k_shot, seed=seed, batch_size=batch_size)
timings["few_shot_sentences"] = time.perf_counter() - start
start = time.perf_counter()
e4_examples = B.draw_examples(train_rows["prompt"], train_rows["y"], k_shot, seed=seed)
few_e4 = B.prompting_logodds(lm, e4_texts, examples=e4_examples, batch_size=batch_size)
timings["few_shot_E4"] = time.perf_counter() - start
print(B.build_prompts(lm, [texts[0]], few["examples"][0])[0])
print("calibration offsets per fold:", {f: round(o, 2) for f, o in few["offsets"].items()})

# %% [markdown]
# Each point is one sentence: its log-odds for "positive" under each prompt, coloured by
# the true label. An uncalibrated prompt that answers one label almost always sits on one side
# of zero; calibration shifts the threshold but cannot separate overlapping clouds.

# %%
variants = {"zero_shot": zero["raw"], "zero_shot_calibrated": zero["calibrated"],
            "few_shot": few["raw"], "few_shot_calibrated": few["calibrated"]}
fig = B.logodds_figure(variants, y, texts)
save_figure(fig, out, "prompt_logodds")
fig

# %% [markdown]
# ## Does free generation give a parseable answer?
#
# Scoring label words always yields an answer; a user who lets the model *generate* gets one
# only if the first line of the text contains exactly one label word. Greedy generation of up
# to 10 tokens on `n_generate` sentences of the first fold (balanced by label and hardness;
# few-shot examples from the other folds). Unparsed answers are listed first.

# %%
start = time.perf_counter()
gen_rows = B.stratified_sample(sentences[folds == 0], n_generate, ["label", "hard"], seed)
gen_texts, gen_y = gen_rows["text"].tolist(), gen_rows["y"].to_numpy()
answers = {"zero_shot": B.generate_answers(lm, B.build_prompts(lm, gen_texts), batch_size=batch_size),
           "few_shot": B.generate_answers(lm, B.build_prompts(lm, gen_texts, few["examples"][0]), batch_size=batch_size)}
timings["generation"] = time.perf_counter() - start
parse = {name: B.parse_rate(a, gen_y) for name, a in answers.items()}
display(pd.DataFrame(parse).T)
shown = pd.DataFrame({"text": gen_texts, "label": np.asarray(B.LABELS)[gen_y], **answers})
shown["parsed"] = [B.parse_label(a) is not None for a in answers["zero_shot"]]
shown.sort_values("parsed", kind="stable").head(8)

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
specs = [(h, p) for h in hooks for p in poolings]  # features are keyed (hook, pooling)
start = time.perf_counter()
F_train = collect_many(model, train_rows["prompt"].tolist(), specs)
F_e4 = collect_many(model, e4_texts, specs)
F_sent = collect_many(model, texts, specs)
timings["collect_all_layers"] = time.perf_counter() - start
layers = list(range(n_layers))
fit, validate = B.transfer_validation_masks(train_rows, seed)
(chosen_hook, chosen_pooling), chosen_layer, selection = B.select_transfer_config(
    F_train, train_rows["y"], fit, validate, layers, report={"sentence_accuracy": (F_sent, y)})
chosen = ((transfer_hook or chosen_hook, transfer_pooling or chosen_pooling),
          chosen_layer if transfer_layer is None else int(transfer_layer))
fig = B.transfer_figure(selection, chosen, model_name)
save_figure(fig, out, "transfer_layer_choice")
fig

# %% [markdown]
# The transfer probe itself: a logistic probe on all templated training prompts at the
# chosen hook, pooling and layer. Its regularisation C is chosen on the same templated validation
# (fit on part of the training prompts, scored on those with a held-out adjective or template).
# The dotted curves above used the scan's C = 0.01; a different C can move the sentence accuracy
# by several points, and it is still chosen without looking at the sentences.

# %%
(hook, pooling), layer = chosen
probe_transfer, C_scores = B.fit_transfer_probe(F_train, train_rows["y"], fit, validate, (hook, pooling), layer,
                                                model_name=model_name, seed=seed)
C = probe_transfer.metrics["C"]
transfer_decision = probe_transfer.decision_function(F_sent[(hook, pooling)][:, layer])
transfer_pred = (transfer_decision > 0).astype(int)
transfer_pred_e4 = probe_transfer.predict(F_e4[(hook, pooling)][:, layer])
print(f"transfer probe: {hook}, {pooling} pooling, layer {layer}, C={C} (validation {C_scores}); sentences "
      f"{(transfer_pred == y).mean():.3f}, E4 {(transfer_pred_e4 == y_e4).mean():.3f}")

# %% [markdown]
# What the same choice gives when it may use one hook only (for information: each row is
# chosen and fitted exactly like the transfer probe, on templated prompts, then scored on the
# sentences). The residual stream alone was this notebook's only candidate before the value
# vectors were added.

# %%
transfer_by_hook = {}
for only_hook in hooks:
    (_, only_pooling), only_layer = B.best_transfer_config(selection, only_hook)
    only_probe, _ = B.fit_transfer_probe(F_train, train_rows["y"], fit, validate, (only_hook, only_pooling), only_layer,
                                         model_name=model_name, seed=seed)
    transfer_by_hook[only_hook] = {
        "pooling": only_pooling, "layer": only_layer, "C": only_probe.metrics["C"],
        "validation_accuracy": float(selection.set_index(["hook", "pooling", "layer"]).loc[
            (only_hook, only_pooling, only_layer), "validation_accuracy"]),
        "sentence_accuracy": float((only_probe.predict(F_sent[(only_hook, only_pooling)][:, only_layer]) == y).mean())}
pd.DataFrame(transfer_by_hook).T

# %% [markdown]
# ## Probe in domain: trained on sentences, nested cross-validation
#
# For each fold, the hook, pooling and layer are chosen by an inner 3-fold cross-validation on the
# other folds, a probe is trained there and predicts the held-out fold. The deployed probe (for
# the memory/time measurement and the E4 column) is chosen and trained the same way on all
# sentences.

# %%
start = time.perf_counter()
cv = B.in_domain_probe_cv(F_sent, y, folds, layers, seed=seed, model_name=model_name)
(dep_hook, dep_pooling), dep_layer, dep_score = B.choose_layer_pooling(F_sent, y, layers, seed=seed)
probe_in_domain = train_probe(F_sent[(dep_hook, dep_pooling)][:, dep_layer], y, axis="valence", hook=dep_hook,
                              pooling=dep_pooling, layer=dep_layer, model_name=model_name, seed=seed)
in_domain_pred_e4 = probe_in_domain.predict(F_e4[(dep_hook, dep_pooling)][:, dep_layer])
timings["in_domain_cv"] = time.perf_counter() - start
display(pd.DataFrame(cv["choices"]))
print(f"in-domain (out-of-fold) accuracy {(cv['pred'] == y).mean():.3f}; deployed probe: {dep_hook}, {dep_pooling} pooling, "
      f"layer {dep_layer} (inner CV {dep_score:.3f}); on E4 {(in_domain_pred_e4 == y_e4).mean():.3f}")

# %% [markdown]
# ## The probe as a classifier: `classify` runs half a model
#
# `helpers.probes.classify(model, probe, texts)` stops the forward pass at the probe's layer.
# Its labels must equal the read-out computed above from the all-layer activations.

# %%
check = texts[: min(len(texts), 40)]
labels = classify(model, probe_transfer, check, cache=False)
expected = np.where(transfer_decision[: len(check)] > 0, "positive", "negative")
assert (labels == expected).all(), "classify disagrees with the probe read-out"
print(f"classify == read-out on {len(check)} sentences; e.g. {check[0]!r} -> {labels[0]}")

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
measure_texts = B.stratified_sample(sentences, n_measure, ["label", "hard"], seed)
index = measure_texts.index.to_numpy()
run = lambda method, **kw: M.measure(method, model_name, measure_texts["text"].tolist(), threads=measure_threads,
                                     batch_size=batch_size, **kw)
start = time.perf_counter()
measured = {"zero_shot": run("prompt"), "few_shot": run("prompt", examples=few["examples"][0]),
            "probe_transfer": run("probe", probe=probe_transfer), "probe_in_domain": run("probe", probe=probe_in_domain)}
timings["measurement_processes"] = time.perf_counter() - start
measured["zero_shot_calibrated"], measured["few_shot_calibrated"] = measured["zero_shot"], measured["few_shot"]
agree = {"zero_shot": np.abs(np.array(measured["zero_shot"]["raw"]) - zero["raw"][index]).max(),
         "probe_transfer": np.abs(np.array(measured["probe_transfer"]["decision"]) - transfer_decision[index]).max()}
assert max(agree.values()) < 1e-3, agree
keys = ["param_bytes", "rss_after_imports_mb", "rss_after_load_mb", "peak_rss_mb", "load_seconds", "seconds_per_100"]
pd.DataFrame({name: {k: measured[name][k] for k in keys} for name in B.METHODS}).T

# %% [markdown]
# ## Side by side
#
# Accuracy on the sentence set (95% bootstrap interval), on its hard subset and on templated
# E4 prompts, with the measured cost. `best_prompting` is the best of the four prompting
# variants on the sentences themselves, calibration included (choosing it on the test set
# favours prompting).

# %%
preds = {"zero_shot": (zero, zero_e4, "raw"), "zero_shot_calibrated": (zero, zero_e4, "calibrated"),
         "few_shot": (few, few_e4, "raw"), "few_shot_calibrated": (few, few_e4, "calibrated")}
methods = {name: B.method_result(B.predict_labels(s[kind]), y, hard, B.predict_labels(e[kind]), y_e4, measured[name],
                                 seed, calibrated=kind == "calibrated") for name, (s, e, kind) in preds.items()}
methods["probe_transfer"] = B.method_result(transfer_pred, y, hard, transfer_pred_e4, y_e4, measured["probe_transfer"], seed)
methods["probe_in_domain"] = B.method_result(cv["pred"], y, hard, in_domain_pred_e4, y_e4, measured["probe_in_domain"], seed)
best = B.best_prompting(methods)
gap = {p: 100 * (methods[p]["accuracy"] - methods[best]["accuracy"]) for p in B.PROBES}
display(B.comparison_table(methods).style.format("{:.3f}", na_rep="-").format(
    {"param_MB": "{:.0f}", "peak_rss_mb": "{:.0f}", "seconds_per_100": "{:.1f}"}))
print(f"best prompting: {best}; probe minus best prompting: in-domain {gap['probe_in_domain']:+.1f} points, "
      f"transfer {gap['probe_transfer']:+.1f} points")
fig = B.comparison_figure(methods, model_name)
save_figure(fig, out, "probe_vs_prompting")
fig

# %% [markdown]
# ## Why the memory saving is what it is
#
# The probe keeps the embedding and layers 0..L, prompting needs everything. From the
# parameter counts, the predicted saving is 1 - (embedding + (L+1) x layer) / total; the
# measured saving in parameter bytes must match it, and the saving in peak RSS is smaller
# because the Python/torch runtime is paid by both.

# %%
probe_layer = probe_transfer.layer
predicted = 1 - (counts["embedding"] + (probe_layer + 1) * counts["per_layer"]) / counts["total"]
saving_params = 1 - methods["probe_transfer"]["param_bytes"] / methods["zero_shot"]["param_bytes"]
saving_in_domain = 1 - methods["probe_in_domain"]["param_bytes"] / methods["zero_shot"]["param_bytes"]
saving_rss = 1 - methods["probe_transfer"]["peak_rss_mb"] / methods["zero_shot"]["peak_rss_mb"]
runtime = measured["zero_shot"]["rss_after_imports_mb"]
saving_rss_net = 1 - (methods["probe_transfer"]["peak_rss_mb"] - runtime) / (methods["zero_shot"]["peak_rss_mb"] - runtime)
print(f"probe at layer {probe_layer} of {n_layers}: embedding share {shares['embedding']:.1%}; predicted saving "
      f"{predicted:.1%}, measured in parameter bytes {saving_params:.1%}, in peak RSS {saving_rss:.1%} "
      f"({saving_rss_net:.1%} net of the {runtime:.0f} MB runtime); in-domain probe (layer "
      f"{probe_in_domain.layer}): {saving_in_domain:.1%} in parameter bytes")

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
scaling = M.scaling_table()
display(pd.DataFrame(scaling).set_index("model")[["n_layers", "d_model", "vocab", "tied", "params_total",
                                                  "embedding_share", "saving_at_25", "saving_at_50", "saving_at_75",
                                                  "depth_for_57"]])
fig = B.scaling_figure(scaling, {"model": model_name, "params_total": counts["total"], "saving": saving_params})
save_figure(fig, out, "memory_scaling")
fig

# %% [markdown]
# ## Goals, and is prompting better than chance at all?
#
# The goals: probe-transfer >= 0.85 and probe-in-domain >= 0.90 on the sentences, each
# at least 14 points above the best prompting variant. A prompting variant counts as better than
# chance only when its whole 95% interval lies above 0.5.

# %%
above_chance = {name: methods[name]["ci_low"] > 0.5 for name in B.PROMPTING}
for name, ok in above_chance.items():
    print(f"{name}: accuracy {methods[name]['accuracy']:.3f} [{methods[name]['ci_low']:.3f}, "
          f"{methods[name]['ci_high']:.3f}] -> {'better than chance' if ok else 'NOT better than chance'}")
goals = {"probe_transfer_accuracy >= 0.85": methods["probe_transfer"]["accuracy"] >= 0.85,
         "probe_in_domain_accuracy >= 0.90": methods["probe_in_domain"]["accuracy"] >= 0.90,
         "probe_transfer >= best prompting + 14 points": gap["probe_transfer"] >= 14,
         "probe_in_domain >= best prompting + 14 points": gap["probe_in_domain"] >= 14}
pd.Series(goals, name="met").to_frame()

# %% [markdown]
# ## Save the results
#
# Everything above goes to `results.json` (keys documented below), beside the figures.

# %%
reference = {}
probes_file = pathlib.Path(probes_path) if probes_path else out.parent / "03_layer_probing" / "probes.npz"
if probes_file.exists():
    from helpers.probes import load as load_probes
    ref = load_probes(probes_file)["valence"]
    if ref.pooling in ("last", "mean"):
        reference["notebook03_valence"] = {"layer": ref.layer, "hook": ref.hook, "pooling": ref.pooling,
                                           "accuracy": float(((readout(model, ref, texts) > 0) == y).mean())}
    else:
        reference["notebook03_valence"] = {"layer": ref.layer, "pooling": ref.pooling, "accuracy": None,
                                           "note": "word pooling needs an emotion word; not applicable to sentences"}
results = {
    "model": model_name, "methods": methods, "best_prompting": best,
    "probe_minus_best_prompting": gap["probe_in_domain"], "probe_transfer_minus_best_prompting": gap["probe_transfer"],
    "memory_saving_fraction": saving_params, "memory_saving_fraction_predicted": predicted,
    "memory_saving_fraction_rss": saving_rss, "memory_saving_fraction_rss_net": saving_rss_net,
    "memory_saving_fraction_in_domain": saving_in_domain,
    "parse_rate": parse, "scaling_table": scaling,
    "parameter_counts": {**counts, "embedding_share": shares["embedding"]},
    "transfer_probe": {"layer": layer, "hook": hook, "pooling": pooling, "C": C, "C_validation": C_scores,
                       "chosen_by": "templated validation" if transfer_layer is None and transfer_pooling is None
                       and transfer_hook is None else "parameters",
                       "by_hook": transfer_by_hook,
                       "validation": selection.to_dict(orient="records")},
    "in_domain_probe": {"folds": cv["choices"], "deployed": {"layer": dep_layer, "hook": dep_hook, "pooling": dep_pooling,
                                                            "inner_cv_accuracy": dep_score}},
    "calibration_offsets": {"zero_shot": zero["offset"], "few_shot": few["offsets"], "zero_shot_E4": zero_e4["offset"],
                            "few_shot_E4": few_e4["offset"]},
    "few_shot_examples": few["examples"], "reference_probes": reference, "goals": goals,
    "prompting_above_chance": above_chance,
    "n_sentences": len(sentences), "n_hard": int(hard.sum()), "n_E4": len(e4_rows), "n_templated_train": len(train_rows),
    "n_measure": len(measure_texts), "k_shot": k_shot, "n_folds": n_folds, "seed": seed, "quick": quick,
    "torch_threads": threads, "measure_threads": measure_threads, "timings": timings,
    "seconds_total": time.time() - started,
}
save_results(out, results)
print(f"wrote {out / 'results.json'} after {results['seconds_total']:.0f} s")

# %% [markdown]
# ## `results.json`
#
# - `model`: the model name.
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
#   `n_templated_train`, `n_measure`, `k_shot`, `n_folds`), `seed`, `quick`, `torch_threads`,
#   `measure_threads`, `timings` (seconds of the main steps), `seconds_total`.
