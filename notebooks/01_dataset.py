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
# # 01 · The emotion dataset
#
# Every probe, steering vector and comparison in this suite is trained and judged on the data
# described here, so this notebook checks it before any model is run. The dataset has two
# parts. **Templated prompts** put an emotion adjective in the slot of a short context
# (*"Mei didn't feel {} after the phone call, so she"*): hundreds of contexts, so that a probe
# learns the emotion rather than the template, and half of them negated, so that the label
# follows the meaning (a negated *happy* is negative). **Natural sentences** (reviews, diary
# lines, messages, headlines) carry a polarity label and include hard cases (negation,
# contrast, mixed verdicts, understatement) on which probes and prompting are compared.
#
# The notebook loads the model's tokenizer only (no weights) to measure prompt lengths.

# %% tags=["parameters"]
model_name = "smollm2-135m"   # whose tokenizer measures the prompts
seed = 0                      # seed of the splits shown here
output_dir = "../runs/smollm2-135m/01_dataset"
quick = False                 # True: count tokens on a sample of prompts only
n_quick_prompts = 3000        # prompts whose tokens are counted when quick is True

# %%
import sys, pathlib
sys.path.insert(0, str(pathlib.Path.cwd().resolve().parent))

import numpy as np
import pandas as pd
import plotly.express as px

from helpers import data as D
from helpers.models import load_tokenizer
from helpers.notebook import output_folder, save_figure, save_results

out = output_folder(output_dir)

# %% [markdown]
# ## What the files hold
#
# The sizes below are computed from the files in `data/` (they match the table in
# `data/README.md`). A prompt is one template filled with one adjective, so each axis gives
# *templates x adjectives* prompts.

# %%
counts = D.dataset_counts()
table = {k: v for k, v in counts.items() if k != "prompts"}
table.update({f"prompts ({axis})": n for axis, n in counts["prompts"].items()})
pd.Series(table, name="count").to_frame()

# %% [markdown]
# ## Labels are balanced in every cell
#
# A prompt's `label` is its meaning: the adjective's own label (`adjective_label`), flipped
# when the template is negated. Because every template is crossed with every adjective and
# each axis has as many positive (high) as negative (low) words, the two labels are equally
# frequent in affirmative and in negated prompts alike. A probe cannot win by guessing the
# majority class, nor by reading the negation cue alone.

# %%
prompts = D.load_prompts("both")
templates = D.load_templates()
negation_fraction = float(templates["negation"].mean())
print(f"{negation_fraction:.0%} of the templates are negated")
balance = prompts.pivot_table(index=["axis", "negation"], columns="y", values="prompt", aggfunc="count", fill_value=0)
balance.rename(columns={0: "y=0 (negative / low)", 1: "y=1 (positive / high)"})

# %% [markdown]
# ## Many contexts: frames, persons and negation cues
#
# Templates come in minimal pairs (`pattern`): an affirmative template and the same text with
# a negation. They vary the frame (the subject *feels* it, *is* it, *seems* it, something
# *made* them feel it, someone *reports* it, a diary line, quoted dialogue, a message, a change
# of state), the grammatical person and the tense. The first table counts templates per frame
# and person; the second the negation cues.

# %%
pd.crosstab(templates["frame"], templates["person"], margins=True)

# %%
templates.loc[templates["negation"], "negator"].value_counts().rename("templates").to_frame()

# %% [markdown]
# ## Example prompts
#
# One minimal pair per frame, filled with *delighted*. Reading down the `label` column shows
# the labelling rule at work: the same word is `positive` in the affirmative template and
# `negative` in its negated twin (and the reverse for an unpleasant word such as *furious*).

# %%
first_pattern = templates.groupby("frame")["pattern"].first()
examples = prompts[(prompts["axis"] == "valence") & prompts["pattern"].isin(first_pattern)
                   & (prompts["adjective"] == "delighted")]
pd.set_option("display.max_colwidth", 120)
examples[["frame", "prompt", "negation", "label"]].reset_index(drop=True)

# %% [markdown]
# ## How long are the prompts?
#
# Probes read the residual stream at the last token, and the cost of a forward pass on CPU
# grows with length, so templates were kept short. The histogram counts tokens of every prompt
# (or of a random sample when `quick`) with the model's own tokenizer, without special tokens
# (a model that prepends BOS sees one more).

# %%
tokenizer = load_tokenizer(model_name)
sample = prompts.sample(n=min(n_quick_prompts, len(prompts)), random_state=seed) if quick else prompts
lengths = sample.assign(tokens=D.token_lengths(tokenizer, sample["prompt"]))
token_stats = {"mean": float(lengths["tokens"].mean()), "median": float(lengths["tokens"].median()),
               "max": int(lengths["tokens"].max()), "fraction_le_25": float((lengths["tokens"] <= 25).mean()),
               "n_counted": int(len(lengths))}
histogram = (lengths.groupby(["tokens", "negation"], as_index=False)
             .agg(prompts=("prompt", "size"), example=("prompt", "first")))
fig = px.bar(histogram, x="tokens", y="prompts", color="negation", barmode="group", hover_data=["example"],
             labels={"tokens": f"prompt length (tokens, {model_name} tokenizer)", "negation": "negated"},
             title=f"Prompts are short: median {token_stats['median']:.0f} tokens, "
                   f"{token_stats['fraction_le_25']:.1%} at most 25")
save_figure(fig, out, "prompt_token_lengths")
fig

# %% [markdown]
# The same lengths per template (averaged over its adjectives), by frame: hover a point to
# read the template. Diary, dialogue and message frames carry a little more context.

# %%
per_template = (lengths.groupby(["template_id", "frame", "negation"], as_index=False)
                .agg(tokens=("tokens", "mean")))
per_template = per_template.merge(templates[["id", "template"]].rename(columns={"id": "template_id"}))
fig = px.strip(per_template, x="frame", y="tokens", color="negation", hover_data=["template_id", "template"],
               labels={"tokens": "mean prompt length (tokens)", "frame": "frame", "negation": "negated"},
               title="Every frame stays short; negation adds one or two tokens")
save_figure(fig, out, "template_token_lengths_by_frame")
fig

# %% [markdown]
# ## How many adjectives are a single token?
#
# A word split into several tokens is spread over positions; probes that read the word's own
# position need to pool them, while last-token probes read the continuation after it. We
# count each word as it appears in a prompt, after a space (`" happy"`). Hover a bar for the
# words.

# %%
adjectives = D.load_adjectives()
word_tokens = D.word_token_counts(tokenizer, adjectives["word"])
adjectives["tokens"] = adjectives["word"].map(word_tokens)
one_token = float((word_tokens == 1).mean())
one_token_by_axis = adjectives.groupby("axis")["tokens"].apply(lambda t: float((t == 1).mean())).to_dict()
bars = (adjectives.groupby(["axis", "tokens"])["word"]
        .agg(words="count", examples=lambda w: ", ".join(sorted(w)[:12]) + (" ..." if len(w) > 12 else ""))
        .reset_index())
fig = px.bar(bars, x="tokens", y="words", color="axis", barmode="group", hover_data=["examples"],
             labels={"tokens": f'tokens per adjective (" word", {model_name} tokenizer)', "words": "adjectives"},
             title=f"{one_token:.0%} of the adjectives are a single token")
save_figure(fig, out, "adjective_token_counts")
fig

# %% [markdown]
# ## Splits: unseen words, unseen contexts, unseen meaning
#
# `splits()` holds out a stratified quarter of the adjectives and a quarter of the template
# patterns (both twins of a minimal pair together). One training set (seen words in seen
# templates) serves four tests of growing distance: **E3** random unseen prompts,
# **E1** unseen adjectives, **E2** unseen templates, **E4** both unseen. **negation_transfer**
# trains on affirmative templates and tests on negated ones, where labels flip: a probe that
# reads the word rather than the meaning falls below chance there.

# %%
split_tables = {}
for axis in ("valence", "arousal"):
    axis_prompts = prompts[prompts["axis"] == axis].reset_index(drop=True)
    split_tables[axis] = D.describe_splits(axis_prompts, D.splits(axis_prompts, seed=seed)).assign(axis=axis)
split_table = pd.concat(split_tables.values(), ignore_index=True)
split_table

# %%
long = split_table.melt(id_vars=["axis", "split"], value_vars=["train", "test"], var_name="set", value_name="prompts")
fig = px.bar(long, x="split", y="prompts", color="set", facet_col="axis", barmode="group",
             hover_data=["axis", "split", "set", "prompts"],
             labels={"split": "split", "prompts": "prompts"},
             title="Every split has thousands of test prompts; E4 (word and template unseen) is the smallest")
save_figure(fig, out, "split_sizes")
fig

# %% [markdown]
# ## Do human ratings agree with our valence labels?
#
# VADER's lexicon holds the mean rating of ten human raters (-4 to 4) for many of our words.
# Each point is a valence adjective; the labels were chosen independently of VADER, and the
# `vader` column was filled by script afterwards. Words that VADER rates clearly
# (|rating| >= 1) should all sit on the side of their label.

# %%
valence_words = adjectives[adjectives["axis"] == "valence"]
agreement = D.vader_sign_agreement(adjectives)
rated = valence_words.dropna(subset=["vader"])
fig = px.box(rated, x="label", y="vader", points="all", hover_name="word", color="label",
             labels={"label": "our valence label", "vader": "VADER mean human rating (-4..4)"},
             title=f"VADER agrees in sign with {agreement:.0%} of the clearly rated words "
                   f"({len(rated)} of {len(valence_words)} valence words are rated)")
fig.add_hline(y=0, line_dash="dot")
save_figure(fig, out, "vader_vs_labels")
fig

# %% [markdown]
# ## The circumplex: valence and arousal together
#
# `emotions.csv` places every adjective on the circumplex of affect by an angle and an
# intensity (see `data/README.md`). The map should fill all four quadrants, and the arousal
# classes should each contain pleasant and unpleasant words so that arousal cannot be read off
# valence. The correlation with VADER checks the valence coordinate against human ratings.

# %%
emotions = D.load_emotions()
with_vader = emotions.merge(valence_words[["word", "vader"]], on="word").dropna(subset=["vader"])
vader_corr = float(np.corrcoef(with_vader["valence"], with_vader["vader"])[0, 1])
fig = px.scatter(emotions, x="valence", y="arousal", color="quadrant", hover_name="word",
                 labels={"valence": "valence (unpleasant -1 .. +1 pleasant)", "arousal": "arousal (deactivated -1 .. +1 activated)"},
                 title=f"{len(emotions)} words fill all four quadrants; valence vs VADER r = {vader_corr:.2f}")
fig.update_xaxes(range=[-1.1, 1.1]); fig.update_yaxes(range=[-1.1, 1.1], scaleanchor="x")
fig.update_layout(width=760, height=620)
save_figure(fig, out, "circumplex")
fig

# %% [markdown]
# ## Sentences: a polarity task that templates cannot solve
#
# The sentence set is balanced overall and inside its hard subset. As a reference point, a
# lexicon method (VADER's compound score; no polar word counts as wrong) does well on easy
# sentences and much worse on hard ones, which is what makes them a useful test for probes.

# %%
sentences = D.vader_sentence_scores(D.load_sentences())
sentences["group"] = sentences["phenomenon"].fillna("easy")
print(pd.crosstab([sentences["kind"]], [sentences["hard"], sentences["label"]], margins=True))
by_group = sentences.groupby("group", as_index=False).agg(accuracy=("vader_correct", "mean"), sentences=("text", "count"))
order = ["easy", "negation", "contrast", "mixed", "understatement"]
fig = px.bar(by_group, x="group", y="accuracy", hover_data=["sentences"], text_auto=".0%",
             category_orders={"group": order},
             labels={"group": "sentence group", "accuracy": "VADER accuracy"},
             title="A lexicon baseline reads easy sentences well and hard ones poorly")
fig.update_yaxes(range=[0, 1], tickformat=".0%")
save_figure(fig, out, "vader_sentence_baseline")
fig

# %% [markdown]
# ## Summary
#
# The numbers of this notebook, written to `summary.json` in the output folder.

# %%
splits_summary = {axis: {row["split"]: {"train": int(row["train"]), "test": int(row["test"])}
                         for _, row in table.iterrows()} for axis, table in split_tables.items()}
summary = {
    "model_name": model_name, "seed": seed, "quick": quick,
    "counts": counts,
    "negation_fraction": negation_fraction,
    "label_balance": prompts.groupby("axis")["y"].mean().to_dict(),
    "splits": splits_summary,
    "one_token_adjective_fraction": one_token,
    "one_token_adjective_fraction_by_axis": one_token_by_axis,
    "prompt_tokens": token_stats,
    "vader_sign_agreement": agreement,
    "vader_rated_valence_words": int(len(rated)),
    "vader_circumplex_correlation": vader_corr,
    "vader_sentence_accuracy": {g: float(a) for g, a in zip(by_group["group"], by_group["accuracy"])},
}
save_results(output_dir, summary, "summary.json")
summary
