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
preset = "default"            # "quick": count tokens on a sample of prompts
overrides = {}                # any field of helpers.settings.Dataset
output_dir = "../runs/smollm2-135m/01_dataset"
backend = "transformer_lens"  # unused here (no model runs); kept so every notebook takes the same knobs
remote = False

# %%
import pandas as pd
from IPython.display import display

from helpers import data as D
from helpers import dataset_report as R
from helpers import plots
from helpers.data import human_ratings
from helpers.models import load_tokenizer
from helpers.notebook import output_folder, save_figure, save_results
from helpers.settings import Dataset

settings = Dataset.preset(preset, **overrides)
out = output_folder(output_dir)

# %% [markdown]
# ## What the files hold
#
# The sizes below are computed from the files in `data/` (they match the table in
# `data/README.md`). A prompt is one template filled with one adjective, so each axis gives
# *templates x adjectives* prompts.

# %%
counts = R.dataset_counts()
counts

# %% [markdown]
# ## Labels are balanced in every cell
#
# A prompt's `label` is its meaning: the adjective's own label (`adjective_label`), flipped
# when the template is negated. Because every template is crossed with every adjective and
# each axis has as many positive (high) as negative (low) words, the two labels are equally
# frequent in affirmative and in negated prompts alike. A probe cannot win by guessing the
# majority class, nor by reading the negation cue alone.

# %%
prompts, templates = D.load_prompts("both"), D.load_templates()
negation_fraction = float(templates["negation"].mean())
print(f"{negation_fraction:.0%} of the templates are negated")
R.label_balance(prompts)

# %% [markdown]
# ## Many contexts: frames, persons and negation cues
#
# Templates come in minimal pairs (`pattern`): an affirmative template and the same text with
# a negation. They vary the frame (the subject *feels* it, *is* it, *seems* it, something
# *made* them feel it, someone *reports* it, a diary line, quoted dialogue, a message, a change
# of state), the grammatical person and the tense. The first table counts templates per frame
# and person; the second the negation cues.

# %%
display(pd.crosstab(templates["frame"], templates["person"], margins=True))
templates.loc[templates["negation"], "negator"].value_counts().rename("templates").to_frame()

# %% [markdown]
# ## Example prompts
#
# One minimal pair per frame, filled with *delighted*. Reading down the `label` column shows
# the labelling rule at work: the same word is `positive` in the affirmative template and
# `negative` in its negated twin.

# %%
R.example_pairs(prompts, templates, "delighted")

# %% [markdown]
# ## How long are the prompts?
#
# Probes read the residual stream at the last token, and the cost of a forward pass on CPU
# grows with length, so templates were kept short. The histogram counts tokens of every prompt
# (or of a random sample in the `quick` preset) with the model's own tokenizer, without special
# tokens (a model that prepends BOS sees one more). The second figure shows the same lengths per
# template, by frame: hover a point to read the template.

# %%
tokenizer = load_tokenizer(model_name)
lengths, token_stats = R.prompt_lengths(tokenizer, prompts, settings.n_token_prompts)
fig = plots.token_length_figure(lengths, token_stats, model_name)
save_figure(fig, out, "prompt_token_lengths")
fig.show()
fig = plots.template_length_figure(lengths, templates)
save_figure(fig, out, "template_token_lengths_by_frame")
fig.show()

# %% [markdown]
# ## How many adjectives are a single token?
#
# A word split into several tokens is spread over positions; probes that read the word's own
# position need to pool them, while last-token probes read the continuation after it. We
# count each word as it appears in a prompt, after a space (`" happy"`). Hover a bar for the
# words.

# %%
adjectives, one_token = R.adjective_tokens(tokenizer, D.load_adjectives())
fig = plots.adjective_token_figure(adjectives, one_token["all"], model_name)
save_figure(fig, out, "adjective_token_counts")
fig.show()

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
split_table = R.split_sizes(prompts, seed=0)
fig = plots.split_size_figure(split_table)
save_figure(fig, out, "split_sizes")
fig.show()
split_table

# %% [markdown]
# ## Do human ratings agree with our labels?
#
# Two outside judges. VADER's lexicon holds the mean rating of ten human raters (-4 to 4) for
# many of our valence words; words it rates clearly (|rating| >= 1) should sit on the side of
# their label. The Warriner et al. (2013) norms hold mean human valence, arousal and
# dominance (1-9, about 20 raters each) for 13,915 lemmas: they rate arousal too, so our
# hand-assigned arousal labels meet a human reference. Disagreements are listed below.

# %%
agreement = R.vader_sign_agreement(adjectives)
fig = plots.vader_label_figure(adjectives, agreement)
save_figure(fig, out, "vader_vs_labels")
fig.show()
merged, human = R.human_rating_agreement(adjectives, human_ratings())
fig = plots.human_rating_figure(merged, human)
save_figure(fig, out, "human_ratings_vs_labels")
fig.show()
merged[merged["agrees"] == 0.0][["axis", "word", "label", "valence", "arousal", "dominance"]]

# %% [markdown]
# ## The circumplex: valence and arousal together
#
# `emotions.csv` places every adjective on the circumplex of affect by an angle and an
# intensity (see `data/README.md`). The map should fill all four quadrants, and the arousal
# classes should each contain pleasant and unpleasant words so that arousal cannot be read off
# valence. The correlation with VADER checks the valence coordinate against human ratings.

# %%
emotions = D.load_emotions()
vader_corr = R.circumplex_vader_correlation(emotions, adjectives)
fig = plots.circumplex_figure(emotions, vader_corr)
save_figure(fig, out, "circumplex")
fig.show()

# %% [markdown]
# ## Sentences: a polarity task that templates cannot solve
#
# The sentence set is balanced overall and inside its hard subset. As a reference point, a
# lexicon method (VADER's compound score; no polar word counts as wrong) does well on easy
# sentences and much worse on hard ones, which is what makes them a useful test for probes.

# %%
sentences = R.vader_sentence_scores(D.load_sentences())
print(pd.crosstab([sentences["kind"]], [sentences["hard"], sentences["label"]], margins=True))
fig, vader_sentence_accuracy = plots.sentence_baseline_figure(sentences)
save_figure(fig, out, "vader_sentence_baseline")
fig.show()

# %% [markdown]
# ## Summary
#
# The numbers of this notebook, written to `summary.json` in the output folder.

# %%
summary = R.dataset_summary(
    model_name=model_name, preset=preset, settings=settings.as_dict(), counts=counts,
    negation_fraction=negation_fraction, label_balance=prompts.groupby("axis")["y"].mean().to_dict(),
    split_table=split_table, one_token_adjective_fraction=one_token["all"],
    one_token_adjective_fraction_by_axis=one_token["by_axis"], prompt_tokens=token_stats,
    vader_sign_agreement=agreement, vader_rated_valence_words=int(adjectives.query("axis == 'valence'")["vader"].notna().sum()),
    vader_circumplex_correlation=vader_corr, vader_sentence_accuracy=vader_sentence_accuracy, human_ratings=human)
save_results(output_dir, summary, "summary.json")
summary
