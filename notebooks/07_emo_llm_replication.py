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
# # 07 · Does the original Emo_LLM result hold on its own data, and do probes carry across datasets?
#
# The seed study (`amanb2000/Emo_LLM`, MIT) read valence and arousal from GPT-2's attention
# value vectors (`attn_v`) at the last token with a logistic regression, on its own templates
# and adjectives (shipped unchanged in `data/external/emo_llm/`). Its published GPT-2
# accuracies: valence E1/E2/E3 = 0.90/0.83/0.99, arousal 0.79/0.82/0.96, where **E1** holds out
# adjectives, **E2** templates and **E3** random prompts. We run the same protocol at every
# layer of our model, beside our residual stream and our best pooling, and then ask whether a
# valence probe trained on one dataset reads the other: ours on theirs, theirs on ours.
#
# Labels follow their code: the word's class, flipped under negation (on both axes). Every
# choice (layer, hook, pooling) is made on validation rows of the training data only: never on
# test rows, and never on the other dataset in a transfer.

# %% tags=["parameters"]
model_name = "smollm2-135m"
preset = "default"                # quick | default | full (helpers.settings.Replication)
overrides = {}                    # any Replication field, e.g. {"n_templates": None}
seed = 0
backend = "transformer_lens"
remote = False
probes_path = None                # notebook 03's probes.npz (the runner passes it); None: no saved probe
output_dir = "../runs/smollm2-135m/07_emo_llm_replication"

# %%
import time

from IPython.display import display

from helpers import load_model, plots
from helpers import replication as R
from helpers.notebook import output_folder, save_figure, save_results
from helpers.runtime import set_torch_threads
from helpers.settings import Replication

settings = Replication.preset(preset, **overrides)
out, started = output_folder(output_dir), time.time()

# %% [markdown]
# ## The prompts
#
# Their 254 templates (127 negated, each affirmative template followed by its negated twin)
# filled with their 179 valence and 108 arousal adjectives; the default preset keeps a random
# subset of whole template pairs (`n_templates`), `full` keeps all. Our own valence prompts
# (`load_prompts`) are the other side of the transfer test.

# %%
threads = set_torch_threads(settings.torch_threads)
model = load_model(model_name, backend=backend, remote=remote)
frames = R.prompt_sets(settings, seed=seed)
counts = R.count_table(frames)
display(counts)

# %% [markdown]
# ## Activations
#
# One forward pass per prompt set gives every (hook, pooling) of `settings.specs` at every
# layer (`layer_step` thins them): their protocol `attn_v`/last, our residual stream
# `resid_post`/last, and our best configuration of notebook 03, `attn_v`/mean.

# %%
layers, acts = R.activations(model, frames, settings)
print(f"{len(layers)} layers, specs {list(settings.specs)}")

# %% [markdown]
# ## E1-E3 on their data: can we match or beat their GPT-2 figures?
#
# For each split, the test rows are held out first; a validation part is carved from the
# training rows the same way (unseen words for E1, unseen template pairs for E2, random rows
# for E3) and picks the layer; the probe is then refitted on train + validation and scored on
# the test rows once. Curves show the test accuracy at every layer (dots: the chosen layer).

# %%
curves = R.replicate(acts, frames, layers, settings, seed=seed)
table = R.headline(curves)
display(table.pivot_table(index=["axis", "split"], columns=["hook", "pooling"], values="test").round(3))

# %%
fig = plots.replication_curves_figure(curves, table, title="Emo_LLM's own splits: test accuracy by layer "
                                      f"({model_name}) against their GPT-2 figures (grey)")
save_figure(fig, out, "replication_curves")
fig.show()

# %% [markdown]
# ## Transfer across datasets: does a valence probe read the other dataset?
#
# Ours -> theirs is notebook 03's saved valence probe, unchanged, on every one of their prompts
# (when this run has one; `probes_path`). Beside it, and for theirs -> ours, a probe chooses its
# (hook, pooling, layer) on its own data's validation rows (unseen adjectives in unseen template
# pairs), is refitted on all its own rows, then scores every prompt of the other set. Negated rows are reported apart, and their negated templates by
# kind: conditional (*"... doesn't feel {} unless"*), concessive (*"Despite ..."*), causal
# (*"... because"*), plain.

# %%
transfers = R.transfers(acts, frames, layers, settings, seed=seed, saved_probe=R.load_saved_probe(probes_path),
                        model=model)
transfer = R.transfer_table(transfers)
display(transfer.T)

# %%
fig = plots.transfer_across_figure(transfer, title="Does a valence probe carry across datasets? "
                                   "Accuracy on the other dataset's prompts")
save_figure(fig, out, "transfer")
fig.show()

# %% [markdown]
# ## The goals, as measured
#
# Beat GPT-2 on every split of both axes with their protocol (`attn_v`/last), and transfer at
# >= 0.90 overall and >= 0.85 on negated rows, both ways. Where a goal is missed, the per-kind
# rows above show which templates limit it.

# %%
goals = R.goal_check(table, transfers, hook=settings.specs[0][0], pooling=settings.specs[0][1])
display(goals)

# %% [markdown]
# ## Results
#
# `results.json`: `emo_llm_replication` (`valence`/`arousal` E1-E3 test accuracies of their
# protocol, `transfer_ours_to_theirs` (notebook 03's saved probe when the run has one),
# `transfer_ours_to_theirs_retrained` (with a saved probe only) and `transfer_theirs_to_ours`, each
# `{all, negated}`), which the run summary reads, and the detail: `table`, `curves`, `transfer`, `goals`, `counts`, `settings`;
# `model`, `backend` (`transformer_lens` or `nnsight`) and `remote` (True: run on NDIF).

# %%
results = R.results_dict(table, curves, transfers, goals, counts.to_dict("records"),
                         hook=settings.specs[0][0], pooling=settings.specs[0][1])
results.update(model=model_name, backend=model.emo.backend, remote=model.emo.remote, preset=preset,
               settings=settings.as_dict(), layers=layers,
               seconds=round(time.time() - started, 1), torch_threads=threads)
save_results(out, results)
print(results["emo_llm_replication"])
