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
# # 05 · Steering generation along valence and arousal
#
# Notebook 03 found directions in the residual stream that *read out* valence and arousal. Here
# we ask whether they are also *causal*: if we add `alpha` times the valence direction to the
# residual stream while the model writes, does the text become more positive, in proportion to
# `alpha`? (The Emo_LLM slides propose exactly this move: add epsilon times the direction to
# shift the model's emotional state.)
#
# - **alpha is in standard deviations**: the vector added at `blocks.{layer}.hook_resid_post`
#   (every position, prompt and generated tokens) is `alpha * projection_std * direction`, where
#   `projection_std` is the spread of the training prompts' activations along the direction. So
#   `alpha = 2` is "two typical prompt-to-prompt differences along the axis" at any layer or model.
# - **Independent judge**: VADER's compound score (a sentiment lexicon with rules, nothing to do
#   with our model) scores each continuation; the probe's own read-out is reported beside it.
# - **Fluency**: perplexity of each steered continuation under the *unsteered* model, and distinct-2.
# - **Paired sampling**: a continuation's random numbers depend only on (prompt, seed), so the
#   unsteered and every steered run of a prompt share them; differences come from the steering.
#
# Sections: directions, layer sweep, direction kinds, the main dose-response (goal: Spearman rho
# between alpha and mean VADER >= 0.9), fluency, arousal, an ablation check, and an interactive
# widget.

# %% tags=["parameters"]
model_name = "smollm2-135m"
probes_path = "../runs/{model}/03_layer_probing/probes.npz"  # {model}: run label; missing: directions trained here
layers = None                          # steering layers swept; None: 40%, 50%, ..., 80% of the depth
kinds = ["logreg", "mean_diff", "pc1", "mean_diff_affirmative"]  # direction kinds compared at the best layer
sweep_kind = "mean_diff"               # direction kind of the layer sweep
main_layer = None                      # None: the best layer of the sweep
main_kind = None                       # None: the best kind of the comparison
alphas = [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]  # main valence grid, in std units
sweep_alphas = [-4.0, -2.0, 0.0, 2.0, 4.0]  # layer sweep and kind comparison
arousal_alphas = [-4.0, -2.0, 0.0, 2.0, 4.0]
n_prompts = 24                         # neutral prompts (data/neutral_prompts.txt) in the main grid and arousal run
sweep_prompts = 12                     # neutral prompts in the layer sweep and kind comparison
seeds = [0, 1]                         # sampling seeds per prompt in the main grid; the other runs use the first
max_new_tokens = 32                    # tokens per continuation in the main grid and arousal run
sweep_tokens = 24                      # tokens per continuation in the sweeps and the ablation check
temperature = 0.8                      # sampling temperature (top-k 50, top-p 0.95)
positions = "all"                      # where the vector is added: all | prompt | new
chat = False                           # False: raw continuation; True: prompt as a chat message
n_train_prompts = 800                  # dataset prompts per axis the directions are trained on
ablation_prompts = 24                  # positive and negative prompts each in the ablation check
ablation_eval = 400                    # held-out prompts for probe accuracy under ablation
batch_size = 32                        # continuations generated together
widget_prompt = "I walked into the kitchen and"
seed = 0                               # seed of the prompt samples and of the random control direction
n_threads = None                       # torch threads; None: 1 if other work is using the CPUs, else torch's default
output_dir = "../runs/smollm2-135m/05_steering"
quick = False                          # True: 2 layers, 2 kinds, 4 prompts, 3 alphas, 12 tokens (1-2 min)

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))

import time
import numpy as np
import pandas as pd
from IPython.display import display

from helpers import load_model
from helpers import steering as S
from helpers.notebook import output_folder, save_figure, save_results
from helpers.probing import set_torch_threads
from helpers.runner import run_label
from helpers.widgets import SteeringWidget

out = output_folder(output_dir)
started, seconds = time.time(), {}

# %% [markdown]
# ## Model and directions
#
# The directions are probes: `probes.npz` from notebook 03 when it exists (its residual-stream
# probes, at the layer notebook 03 chose; probes on `attn_v` cannot be added to the residual
# stream), and at every swept layer the recipe of
# `helpers.probes.quick_probes` (resid_post, last token, `n_train_prompts` dataset prompts per
# axis, affirmative and negated, labels by meaning), all layers from one forward pass. Kinds:
# `logreg` (the probe's weights), `mean_diff` (difference of class means), `pc1`, and
# `mean_diff_affirmative` (class means of the affirmative prompts only: the adjective's own
# valence, no negation to compose). The **reader** that scores texts is notebook 03's valence
# (arousal) probe, or else the swept layer's logreg probe with the best cross-validated
# accuracy (at early layers the last token does not carry valence yet).

# %%
threads = set_torch_threads(n_threads)
model = load_model(model_name)
n_layers = model.cfg.n_layers
if layers is None:
    layers = sorted({min(n_layers - 1, int(round(f * n_layers))) for f in (0.4, 0.5, 0.6, 0.7, 0.8)})
if quick:
    layers, kinds, sweep_alphas, alphas, arousal_alphas = layers[2:4], ["mean_diff", "logreg"], [-4.0, 0.0, 4.0], [-4.0, 0.0, 4.0], [-4.0, 0.0, 4.0]
    n_prompts, sweep_prompts, seeds, max_new_tokens, sweep_tokens = 4, 4, seeds[:1], 12, 12
    n_train_prompts, ablation_prompts, ablation_eval = 200, 4, 80
t0 = time.time()
directions = S.train_directions(model, layers, kinds=list(dict.fromkeys(kinds + ["logreg"])), n_prompts=n_train_prompts, seed=seed)
from_file, file_readers, note = S.directions_from_file(probes_path.format(model=run_label(model_name)), model)
directions.update({key: p for key, p in from_file.items() if key[1] in kinds and (not quick or key[2] in layers)})
layers = sorted({key[2] for key in directions if key[0] == "valence" and key[1] == sweep_kind})
readers = {axis: file_readers.get(axis) or S.best_logreg(directions, axis) for axis in ("valence", "arousal")}
prompts = S.neutral_prompts()
seconds["directions"] = time.time() - t0
print(f"{model_name}: {n_layers} layers; {threads} torch thread(s); swept layers {layers}; {note}")
print("readers:", {axis: f"{p.kind} at layer {p.layer} ({p.hook}/{p.pooling})" for axis, p in readers.items()})

# %% [markdown]
# All continuations go through one memo (`S.Continuations`): a (prompt, seed, added vector)
# triple is generated once, so the unsteered texts (alpha 0) are shared by every experiment. The
# generation is batched (left padding, per-row position ids, per-row steering vectors) with a KV
# cache; the steering hook fires on the prompt pass and on every generated token.

# %%
store = S.Continuations(max_new_tokens=sweep_tokens, temperature=temperature, batch_size=batch_size,
                        positions=positions, chat=chat)
main_store = S.Continuations(max_new_tokens=max_new_tokens, temperature=temperature, batch_size=batch_size,
                             positions=positions, chat=chat)
sweep_set = prompts[:sweep_prompts]
print(f"{len(prompts)} neutral prompts, e.g. {prompts[:3]}")

# %% [markdown]
# ## Which layer steers best?
#
# The `sweep_kind` valence direction at every swept layer, over `sweep_alphas`, on the first
# `sweep_prompts` prompts with the first seed. Per layer: Spearman rho between alpha and the mean
# VADER score, the VADER gap between the largest and the smallest alpha, the OLS slope, the
# perplexity ratio at the extremes, and `direction_accuracy` (how well the direction separates its
# own training prompts). The **best layer** has the highest rho, ties broken by the gap, among the
# *eligible* layers: perplexity within 2x at both extremes (fluent) and direction accuracy >= 0.7
# (the direction does read valence; early layers' last token does not carry it yet, and a
# direction that steers without reading valence would make the ablation check meaningless).

# %%
t0 = time.time()
conditions = [c for layer in layers for c in S.steered(model, directions[("valence", sweep_kind, layer)], sweep_alphas, "layer_sweep")]
sweep_df = store.score(model, store.run(model, conditions, sweep_set, seeds[:1], progress=True))
layer_rows = []
for layer, group in sweep_df.groupby("layer"):
    ratios = S.geometric_mean_ratio(group)
    layer_rows.append({"layer": int(layer), "kind": sweep_kind, **S.response_stats(group),
                       "direction_accuracy": S.direction_accuracy(directions[("valence", sweep_kind, layer)]),
                       "perplexity_ratio_at_min_alpha": ratios[min(ratios)], "perplexity_ratio_at_max_alpha": ratios[max(ratios)]})
best_layer = int(main_layer if main_layer is not None else S.rank_by_response(layer_rows, "layer")["layer"])
seconds["layer_sweep"] = time.time() - t0
display(pd.DataFrame(layer_rows).drop(columns=["alphas", "means"]).round(3))
print(f"best layer: {best_layer}")

# %%
sweep_table = S.dose_table(sweep_df, ["vader", "perplexity"], by=["layer", "alpha"])
fig = S.family_figure(sweep_table, "layer", "vader", f"Which layer steers valence best? VADER of continuations ({sweep_kind})",
                      "mean VADER compound (-1..1)", series_label=lambda l: f"layer {l}")
save_figure(fig, out, "layer_sweep")
fig.show()

# %% [markdown]
# ## Which direction kind gives the cleanest dose-response?
#
# Every kind at the best layer, same alphas, prompts and seed. Cleanest = highest Spearman rho,
# ties broken by the VADER gap, among eligible kinds (same rule as for layers). The main grid
# below uses the cleanest kind.

# %%
t0 = time.time()
conditions = [c for kind in kinds if ("valence", kind, best_layer) in directions
              for c in S.steered(model, directions[("valence", kind, best_layer)], sweep_alphas, "kind_comparison")]
kind_df = store.score(model, store.run(model, conditions, sweep_set, seeds[:1], progress=True))
kind_rows = []
for kind, group in kind_df.groupby("kind"):
    ratios = S.geometric_mean_ratio(group)
    kind_rows.append({"kind": kind, "layer": best_layer, **S.response_stats(group),
                      "direction_accuracy": S.direction_accuracy(directions[("valence", kind, best_layer)]),
                      "projection_std": directions[("valence", kind, best_layer)].projection_std,
                      "perplexity_ratio_at_min_alpha": ratios[min(ratios)], "perplexity_ratio_at_max_alpha": ratios[max(ratios)]})
best_kind = main_kind or S.rank_by_response(kind_rows, "kind")["kind"]
seconds["kind_comparison"] = time.time() - t0
display(pd.DataFrame(kind_rows).drop(columns=["alphas", "means"]).round(3))
fig = S.family_figure(S.dose_table(kind_df, ["vader"], by=["kind", "alpha"]), "kind", "vader",
                      f"Which valence direction steers most cleanly? Layer {best_layer}", "mean VADER compound (-1..1)",
                      series_label=lambda k: S.KIND_LABELS.get(k, k))
save_figure(fig, out, "kind_comparison")
fig.show()
print(f"main grid: layer {best_layer}, kind {best_kind}")

# %% [markdown]
# ## The dose-response: valence steering, measured
#
# The best (layer, kind) over the full `alphas` grid, on `n_prompts` neutral prompts x `seeds`.
# Left: VADER of each continuation (grey points; hover for the text) with the mean and its 95%
# t-interval per alpha. Right: the reader probe's read-out of prompt + continuation. Perplexity
# and read-outs (a forward pass per text) are computed for the first seed's continuations.

# %%
t0 = time.time()
probe = directions[("valence", best_kind, best_layer)]
main_df = main_store.run(model, S.steered(model, probe, alphas, "valence"), prompts[:n_prompts], seeds, progress=True)
main_df = main_store.score(model, main_df, readers={"valence": readers["valence"]}, model_rows=main_df["seed"] == seeds[0])
main_table = S.dose_table(main_df, ["vader", "readout_valence", "perplexity", "distinct2"])
main_stats = S.response_stats(main_df)
seconds["valence_grid"] = time.time() - t0
display(main_table.round(3))
print(f"Spearman rho(alpha, mean VADER) = {main_stats['spearman_rho']:.3f} (goal >= 0.9); "
      f"slope {main_stats['slope']:.3f} VADER per std; {len(main_df)} continuations")

# %%
fig = S.dose_figure(main_df, main_table,
                   f"Adding the valence direction moves VADER: rho {main_stats['spearman_rho']:.2f} (layer {best_layer}, {S.KIND_LABELS.get(best_kind, best_kind)})",
                   [("vader", "VADER compound of the continuation (-1..1)"), ("readout_valence", "valence probe read-out (logit)")])
save_figure(fig, out, "valence_dose_response")
fig.show()

# %% [markdown]
# ## Fluency: how far can we push?
#
# Perplexity of each steered continuation under the unsteered model (given its prompt),
# summarised per alpha as a geometric mean relative to alpha 0, and distinct-2 (distinct word
# bigrams / bigrams per continuation; low = repetitive). The shaded band is the contiguous alpha
# range around 0 where perplexity stays within 1.5x of the unsteered text. Below: examples at the
# edges of that range and at the extremes of the grid.

# %%
ratios = S.geometric_mean_ratio(main_df)
within = S.range_within(ratios, 1.5)
fig = S.fluency_figure(main_table, ratios, 1.5, within, f"Steering keeps perplexity within 1.5x for alpha in [{within[0]:g}, {within[1]:g}]")
save_figure(fig, out, "fluency")
fig.show()
edges = sorted({min(alphas), within[0], 0.0, within[1], max(alphas)})
examples = main_df[(main_df["seed"] == seeds[0]) & (main_df["prompt"].isin(prompts[:2])) & (main_df["alpha"].isin(edges))]
for _, row in examples.sort_values(["prompt", "alpha"]).iterrows():
    print(f"alpha {row['alpha']:+.1f} | VADER {row['vader']:+.2f} | ppl {row['perplexity']:6.1f} | {row['prompt']}{row['text']!r}")

# %% [markdown]
# ## Arousal steering
#
# The arousal direction (same layer and kind) over `arousal_alphas`. VADER has no arousal axis, so
# the judge is a transparent proxy (`helpers.judges.arousal_scores`): hits of an arousal lexicon
# (the dataset's 64 high- and 64 low-arousal adjectives plus listed activation / deactivation
# words such as *screamed*, *rushed* / *quietly*, *slept*) per 100 words, high minus low; and the
# share of continuations with an exclamation mark. VADER is shown too: arousal steering should
# not simply be valence steering.

# %%
t0 = time.time()
arousal_probe = directions[("arousal", best_kind, best_layer)]
arousal_df = main_store.score(model, main_store.run(model, S.steered(model, arousal_probe, arousal_alphas, "arousal"),
                                                   prompts[:n_prompts], seeds[:1], progress=True),
                              readers={"arousal": readers["arousal"]})
arousal_metrics = ["arousal_index", "exclaims", "vader", "readout_arousal"]
arousal_table = S.dose_table(arousal_df, arousal_metrics)
arousal_stats = {m: S.response_stats(arousal_df, m) for m in arousal_metrics}
seconds["arousal"] = time.time() - t0
display(arousal_table.round(3))
fig = S.dose_figure(arousal_df, arousal_table, f"Does the arousal direction make text more activated? Layer {best_layer}",
                    [("arousal_index", "arousal lexicon: high - low hits per 100 words"), ("exclaims", "share with '!'"),
                     ("readout_arousal", "arousal probe read-out (logit)")])
save_figure(fig, out, "arousal_dose_response")
fig.show()

# %% [markdown]
# ## Causal check: ablate the valence direction
#
# Project the main valence direction out of the residual stream everywhere (after the
# embeddings, and after every attention and every MLP block), and compare with no ablation and with a
# random direction. Two questions: (1) can the probes still read valence from held-out prompts,
# and can a *fresh* probe trained on the ablated activations (is the information elsewhere)?
# (2) do continuations of positive prompts ("Bob feels delighted, so Bob") and of negative
# prompts still differ in VADER?

# %%
t0 = time.time()
ablation_readers = {f"{p.kind} {p.hook}/{p.pooling} L{p.layer}": p for p in [probe, readers["valence"]]}
ablation, ablation_df = S.ablation_experiment(model, probe, ablation_readers, store, n_prompts=ablation_prompts, seeds=seeds[:1],
                                              n_eval=ablation_eval, train_prompts=n_train_prompts, seed=seed)
seconds["ablation"] = time.time() - t0
display(pd.DataFrame({name: {k: v for k, v in row.items() if not isinstance(v, dict)} for name, row in ablation["conditions"].items()}).round(3))
fig = S.ablation_figure(ablation, f"Projecting out the valence direction (layer {best_layer}, {best_kind}) at every layer")
save_figure(fig, out, "ablation")
fig.show()

# %% [markdown]
# ## Try it: the steering widget
#
# Type a prompt, move the **Valence** and **Arousal** sliders (alpha in std units), pick the
# **Layer** and the **Direction** kind, set the **Seed** and press **Generate**: the unsteered
# continuation appears beside the steered one for the same seed, each with the probes' read-out.
# The model and the directions above are reused; moving a slider computes nothing. (In quick
# mode the button's handler runs once from code, with valence +4, so the path is exercised under
# papermill.)

# %%
widget = SteeringWidget(model, directions, readers, prompt=widget_prompt, layer=best_layer, kind=best_kind,
                         max_new_tokens=max_new_tokens, positions=positions)
widget.show()
if quick:
    widget.valence.value = 4.0
    demo = widget.generate()
    print({k: demo.get(k) for k in ("valence", "layer", "kind", "unsteered", "steered")})


# %% [markdown]
# ## Save the numbers

# %%
def curve(table, metric):
    return {"mean": table[metric].tolist(), "ci_low": table[f"{metric}_ci_low"].tolist(), "ci_high": table[f"{metric}_ci_high"].tolist()}

results = {
    "model": model_name, "quick": quick, "seed": seed, "seeds": seeds, "n_prompts": n_prompts, "max_new_tokens": max_new_tokens,
    "temperature": temperature, "positions": positions, "chat": chat, "torch_threads": threads, "directions_note": note,
    "readers": {axis: {"kind": p.kind, "layer": p.layer, "hook": p.hook, "pooling": p.pooling} for axis, p in readers.items()},
    "valence": {"layer": best_layer, "kind": best_kind, "projection_std": probe.projection_std, "alphas": main_table["alpha"].tolist(),
                "mean_vader": main_table["vader"].tolist(), "ci_low": main_table["vader_ci_low"].tolist(),
                "ci_high": main_table["vader_ci_high"].tolist(), "spearman_rho": main_stats["spearman_rho"],
                "slope": main_stats["slope"], "vader_gap": main_stats["gap"], "goal_rho": 0.9,
                "goal_met": bool(main_stats["spearman_rho"] >= 0.9),
                "mean_probe_readout": main_table["readout_valence"].tolist(), "probe_readout": curve(main_table, "readout_valence"),
                "n_per_alpha": main_table["n"].tolist()},
    "layer_sweep": layer_rows, "kind_comparison": kind_rows,
    "fluency": {"alphas": sorted(ratios), "perplexity_by_alpha": main_table["perplexity"].tolist(),
                "perplexity_ratio_by_alpha": [ratios[a] for a in sorted(ratios)],
                "distinct2_by_alpha": main_table["distinct2"].tolist(), "alpha_range_within_1.5x": within,
                "examples": examples[["alpha", "prompt", "text", "vader", "perplexity"]].to_dict(orient="records")},
    "arousal": {"layer": best_layer, "kind": best_kind, "alphas": arousal_table["alpha"].tolist(),
                **{m: curve(arousal_table, m) for m in arousal_metrics},
                "spearman_rho": {m: s["spearman_rho"] for m, s in arousal_stats.items()},
                "proxy": "arousal lexicon hits per 100 words (high - low) and share of continuations with '!'"},
    "ablation": ablation,
    "generation": {"continuations": store.generated + main_store.generated, "seconds": store.seconds + main_store.seconds},
    "seconds": {**seconds, "total": time.time() - started},
}
main_df.to_csv(out / "valence_continuations.csv", index=False)
save_results(out, results)
print(f"saved {out / 'results.json'}; rho {main_stats['spearman_rho']:.3f}; {time.time() - started:.0f} s in total")

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `quick`, `seed`, `seeds`, `n_prompts`, `max_new_tokens`, `temperature`, `positions`, `chat`,
#   `torch_threads`, `directions_note` (where the directions came from), `readers` (the probes that
#   score texts: `kind`, `layer`, `hook`, `pooling` per axis).
# - `valence`: the main dose-response: `layer`, `kind`, `projection_std` (the std unit of alpha),
#   `alphas`, `mean_vader`, `ci_low`, `ci_high` (95% t-interval of the mean VADER per alpha, over
#   prompts x seeds),
#   `spearman_rho` (alpha vs mean VADER), `slope` (VADER per std), `vader_gap` (max alpha - min
#   alpha), `goal_rho` (0.9), `goal_met`, `mean_probe_readout` (reader's mean read-out per alpha),
#   `probe_readout` (`mean`, `ci_low`, `ci_high`), `n_per_alpha`.
# - `layer_sweep`: one row per layer: `layer`, `kind`, `spearman_rho`, `slope`, `gap`, `alphas`, `means`
#   (mean VADER per alpha), `direction_accuracy`, `perplexity_ratio_at_min_alpha`,
#   `perplexity_ratio_at_max_alpha`, `eligible` (fluent and readable: see the layer section).
# - `kind_comparison`: one row per kind at the best layer, same fields plus `projection_std`.
# - `fluency`: `alphas`, `perplexity_by_alpha` (arithmetic mean, first seed), `perplexity_ratio_by_alpha`
#   (geometric mean / the unsteered one), `distinct2_by_alpha`, `alpha_range_within_1.5x`
#   ([low, high]: the contiguous range around 0 with ratio <= 1.5), `examples` (texts at the edges).
# - `arousal`: `layer`, `kind`, `alphas`, per metric (`arousal_index`, `exclaims`, `vader`,
#   `readout_arousal`) a curve `{mean, ci_low, ci_high}`, `spearman_rho` per metric, `proxy`.
# - `ablation`: `layer`, `n_eval`, `n_prompts_per_class`, `conditions` (`none`, `valence direction`,
#   `random direction`), each with `probe_accuracy` and `probe_accuracy_affirmative` (per reader),
#   `fresh_probe_cv_accuracy(_affirmative)`, `projection_std_on_direction`, `vader_positive_prompts`,
#   `vader_negative_prompts`, `vader_gap`, `vader_gap_ci_low`, `vader_gap_ci_high`.
# - `generation`: number of continuations generated and seconds spent; `seconds`: per section and total.
#
# Files: `results.json`, `valence_continuations.csv` (every main-grid continuation with its
# scores), figures `layer_sweep`, `kind_comparison`, `valence_dose_response`, `fluency`,
# `arousal_dose_response`, `ablation`.
