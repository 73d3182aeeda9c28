# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Does the emotion last?
#
# Notebooks 02-05 read emotion at the end of a short prompt. The seed study listed two open
# questions this notebook answers: *robustness across time and generation*, and *can adding
# ε·w to the residual stream control P(next token)?* Four measurements:
#
# 1. **Distance.** A statement from our templates ("Bob feels happy.") is followed by exactly
#    k tokens of neutral text and read at the filler's last token and at a re-mention of the
#    subject ("... So Bob"), for k from 0 to 256. Two read-outs per (layer, k): the probe
#    trained at k = 0 applied unchanged (does the *same direction* persist?), and a probe
#    retrained at that k (is the *information* still there, perhaps elsewhere?). Held-out
#    adjectives only.
# 2. **The model's own writing.** The model continues held-out statements; the k = 0 probe reads
#    every generated token, beside an independent judge of the text so far.
# 3. **A push that stops.** Steering over the prompt only, then unsteered generation, against
#    steering at every position and none.
# 4. **P(next token), exactly.** The next-token distribution under steering, summarised by the
#    human valence and arousal (Warriner et al. 2013) of the words it puts mass on.

# %% tags=["parameters"]
model_name = "smollm2-135m"
preset = "default"           # quick | default | full (helpers.settings.Persistence)
overrides = {}               # any Persistence field, e.g. {"ks": (0, 16, 256)}
steering_results = "../runs/smollm2-135m/05_steering/results.json"  # notebook 05's chosen layer, if run
backend = "transformer_lens"
remote = False
output_dir = "../runs/smollm2-135m/06_persistence"

# %%
from IPython.display import display

from helpers import load_model, plots
from helpers.notebook import output_folder, save_figure, save_results
from helpers.persistence_study import PersistenceStudy, decay_summary
from helpers.runtime import set_torch_threads
from helpers.settings import Persistence

PersistenceStudy.require_local(remote)  # generation needs the weights here: one ValueError, before loading
settings = Persistence.preset(preset, **overrides)
out = output_folder(output_dir)

# %%
set_torch_threads(settings.torch_threads)
model = load_model(model_name, backend=backend, remote=remote)
study = PersistenceStudy(model, settings, steering_results)
print(f"{study.n_layers} layers; steering at layer {study.steering_layer} ({study.steering_kind}: {study.steering_note})")

# %% [markdown]
# ## 1. Distance: is the emotion still readable k tokens later?
#
# Every text is checked to add exactly k filler tokens; the prompts of one statement are
# nested, so `collect` runs the longest once. The probe layer is chosen by cross-validation at
# k = 0 on the training adjectives, never on held-out words.

# %%
curves = study.distance()
display(study.prompt_counts())
display(decay_summary(curves))

# %%
for (axis, site), result in study.readouts.items():
    fig = plots.persistence_heatmaps(result, f"{axis}, read at the {site}: where does the emotion stay readable?")
    save_figure(fig, out, f"distance_{axis}_{site}")
    fig.show()

# %%
fig = plots.decay_figure(curves, "Does the k = 0 direction still read the emotion after k neutral tokens?")
save_figure(fig, out, "decay")
fig.show()

# %% [markdown]
# ## 2. The model's own writing: does it keep the emotion it was given?
#
# Position -1 is the prompt's last token; the half-life is the generated position where the
# probe's accuracy has lost half its distance to chance (a lower bound when never reached).
# The judges: VADER (valence) and the mean human arousal of rated words (arousal).

# %%
generation_curves = study.generation()
display(study.half_life_table())

# %%
fig = plots.generation_figure(study.generation_curves, "Does the probe still name the prompt's emotion as the model writes?")
save_figure(fig, out, "generation")
fig.show()

# %% [markdown]
# ## 3. Does a steering push outlast the push?
#
# Valence steering at ±alpha over the prompt only, then unsteered generation, against steering
# at every position. The unsteered model re-reads what was written; the effect is the read-out
# (and VADER) at +alpha minus at -alpha. Ratio = prompt-only effect / everywhere effect.

# %%
display(study.steering_push())
fig = plots.push_figure(study.push_effects, "Once the push stops, does the written text keep its valence?")
save_figure(fig, out, "steering_push")
fig.show()

# %% [markdown]
# ## 4. P(next token) under steering: how far does each direction move each axis?
#
# No sampling: every point is exact. Goals: along its own direction, the expected human rating
# is monotone in alpha (Spearman 1.0 over [-4, 4]) and moves at least twice as far as the other
# axis.

# %%
display(study.next_token())
fig = plots.control_map_figure(study.control, "Where does each direction push the next word in human valence x arousal?")
save_figure(fig, out, "control_map")
fig.show()

# %% [markdown]
# ## Explore: both read-outs along a text
#
# Pick a held-out statement (with k filler tokens) or a continuation the model wrote.

# %%
from helpers.persistence_widget import PersistenceViewer

viewer = PersistenceViewer(model, study).show()

# %% [markdown]
# ## Results
#
# Every number above, with the goals as measured, goes to `results.json` (with `model`, `backend`:
# `transformer_lens` or `nnsight`, and `remote`: True when run on NDIF); the k = 0 probes to `probes.npz`.

# %%
results = study.results(model_name)
study.save_probes(out)
save_results(out, results)
display(results["goals"])
print({k: results[k] for k in ("persistence", "next_token_control")})
