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
preset = "default"            # "quick": 2 layers, 2 kinds, 4 prompts, 3 alphas, 12 tokens; "full": more
overrides = {}                # any field of helpers.settings.Steering, e.g. {"positions": "prompt"}
output_dir = "../runs/smollm2-135m/05_steering"
backend = "transformer_lens"  # or "nnsight"
remote = False

# %%
from IPython.display import display

from helpers import load_model, plots
from helpers.notebook import output_folder, save_figure, save_results
from helpers.runtime import set_torch_threads
from helpers.settings import Steering
from helpers.steering_runs import KIND_LABELS, dose_table
from helpers.steering_study import SteeringStudy
from helpers.widgets import SteeringWidget

SteeringStudy.require_local(remote)  # generation needs the weights here: one ValueError, before loading
settings = Steering.preset(preset, **overrides)
out = output_folder(output_dir)
threads = set_torch_threads(settings.torch_threads)

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
model = load_model(model_name, backend=backend, remote=remote)
study = SteeringStudy(model, settings, out.parent / "03_layer_probing" / "probes.npz")
print(f"{model_name}: {study.describe()}; {threads} torch thread(s)")

# %% [markdown]
# All continuations go through one memo (`helpers.steering_runs.Continuations`): a (prompt, seed, added vector)
# triple is generated once, so the unsteered texts (alpha 0) are shared by every experiment. The
# generation is batched (left padding, per-row position ids, per-row steering vectors) with a KV
# cache; the steering hook fires on the prompt pass and on every generated token.

# %%
print(f"{len(study.prompts)} neutral prompts, e.g. {study.prompts[:3]}")

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
display(study.layer_sweep())
table = dose_table(study.sweep_df, ["vader", "perplexity"], by=["layer", "alpha"])
fig = plots.family_figure(table, "layer", "vader", f"Which layer steers valence best? VADER of continuations "
                          f"({settings.sweep_kind}); best: layer {study.best_layer}", "mean VADER compound (-1..1)",
                          series_label=lambda layer: f"layer {layer}")
save_figure(fig, out, "layer_sweep")
fig.show()

# %% [markdown]
# ## Which direction kind gives the cleanest dose-response?
#
# Every kind at the best layer, same alphas, prompts and seed. Cleanest = highest Spearman rho,
# ties broken by the VADER gap, among eligible kinds (same rule as for layers). The main grid
# below uses the cleanest kind.

# %%
display(study.kind_comparison())
table = dose_table(study.kind_df, ["vader"], by=["kind", "alpha"])
fig = plots.family_figure(table, "kind", "vader", f"Which valence direction steers most cleanly? Layer {study.best_layer}",
                          "mean VADER compound (-1..1)", series_label=lambda kind: KIND_LABELS.get(kind, kind))
save_figure(fig, out, "kind_comparison")
fig.show()
print(f"main grid: layer {study.best_layer}, kind {study.best_kind}")

# %% [markdown]
# ## The dose-response: valence steering, measured
#
# The best (layer, kind) over the full `alphas` grid, on `n_prompts` neutral prompts x `seeds`.
# Left: VADER of each continuation (grey points; hover for the text) with the mean and its 95%
# t-interval per alpha. Right: the reader probe's read-out of prompt + continuation. Perplexity
# and read-outs (a forward pass per text) are computed for the first seed's continuations.

# %%
display(study.valence_grid())
rho = study.main_stats["spearman_rho"]
print(f"Spearman rho(alpha, mean VADER) = {rho:.3f} (goal >= 0.9); {len(study.main_df)} continuations")
fig = plots.dose_figure(study.main_df, study.main_table, f"Adding the valence direction moves VADER: rho {rho:.2f} "
                        f"(layer {study.best_layer}, {KIND_LABELS.get(study.best_kind, study.best_kind)})",
                        [("vader", "VADER compound of the continuation (-1..1)"),
                         ("readout_valence", "valence probe read-out (logit)")])
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
examples = study.fluency()
within = study.within
fig = plots.fluency_figure(study.main_table, study.ratios, 1.5, within,
                           f"Steering keeps perplexity within 1.5x for alpha in [{within[0]:g}, {within[1]:g}]")
save_figure(fig, out, "fluency")
fig.show()
examples

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
display(study.arousal())
fig = plots.dose_figure(study.arousal_df, study.arousal_table,
                        f"Does the arousal direction make text more activated? Layer {study.best_layer}",
                        [("arousal_index", "arousal lexicon: high - low hits per 100 words"),
                         ("exclaims", "share with '!'"), ("readout_arousal", "arousal probe read-out (logit)")])
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
display(study.ablation())
fig = plots.ablation_figure(study.ablation_result, f"Projecting out the valence direction (layer {study.best_layer}, "
                            f"{study.best_kind}) at every layer")
save_figure(fig, out, "ablation")
fig.show()

# %% [markdown]
# ## Try it: the steering widget
#
# Type a prompt, move the **Valence** and **Arousal** sliders (alpha in std units), pick the
# **Layer** and the **Direction** kind, set the **Seed** and press **Generate**: the unsteered
# continuation appears beside the steered one for the same seed, each with the probes' read-out.
# The model and the directions above are reused; moving a slider computes nothing. (With
# `widget_demo_alpha` set, as in the quick preset, the button's handler runs once from code, so
# the path is exercised under papermill.)

# %%
widget = SteeringWidget(model, study.directions, study.readers, prompt=settings.widget_prompt, layer=study.best_layer,
                        kind=study.best_kind, max_new_tokens=settings.max_new_tokens, positions=settings.positions)
widget.show()
if settings.widget_demo_alpha is not None:
    widget.valence.value = settings.widget_demo_alpha
    demo = widget.generate()
    print({k: demo.get(k) for k in ("valence", "layer", "kind", "unsteered", "steered")})

# %% [markdown]
# ## Save the numbers

# %%
results = study.results(model_name)
study.main_df.to_csv(out / "valence_continuations.csv", index=False)
save_results(out, results)
print(f"saved {out / 'results.json'}; rho {results['valence']['spearman_rho']:.3f}; {results['seconds']['total']:.0f} s")

# %% [markdown]
# ## Keys of `results.json`
#
# - `model`, `backend` (`transformer_lens` or `nnsight`), `remote` (True: run on NDIF), `settings`, `seed`,
#   `seeds`, `n_prompts`, `max_new_tokens`, `temperature`, `positions`, `chat`,
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
