"""Notebook 01's account of the dataset: sizes, token lengths, and what outside judges (VADER)
say of our labels. The loaders themselves are ``helpers.data``."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .data import AXES, load_adjectives, load_emotions, load_sentences, load_templates, neutral_texts


def dataset_counts(data_dir=None) -> dict:
    """The dataset's sizes, as data/README.md reports them (computed from the files)."""
    templates = load_templates(data_dir)
    adjectives = load_adjectives(data_dir=data_dir)
    sentences = load_sentences(data_dir=data_dir)
    n_axis = adjectives.groupby("axis").size().reindex(list(AXES), fill_value=0)
    return {
        "templates": int(len(templates)),
        "negated_templates": int(templates["negation"].sum()),
        "patterns": int(templates["pattern"].nunique()),
        "frames": int(templates["frame"].nunique()),
        "valence_adjectives": int(n_axis["valence"]),
        "arousal_adjectives": int(n_axis["arousal"]),
        "distinct_adjectives": int(adjectives["word"].nunique()),
        "emotions": int(len(load_emotions(data_dir))),
        "sentences": int(len(sentences)),
        "hard_sentences": int(sentences["hard"].sum()),
        "neutral_texts": int(len(neutral_texts(data_dir))),
        "prompts": {ax: int(len(templates) * n_axis[ax]) for ax in AXES},
    }


def token_lengths(tokenizer, texts, batch_size: int = 4096) -> np.ndarray:
    """Number of tokens of each text, without special tokens (a BOS, if the model adds one, is extra)."""
    texts = list(texts)
    counts = []
    for start in range(0, len(texts), batch_size):
        ids = tokenizer(texts[start:start + batch_size], add_special_tokens=False)["input_ids"]
        counts.extend(len(x) for x in ids)
    return np.asarray(counts, dtype=int)


def word_token_counts(tokenizer, words) -> pd.Series:
    """Tokens per word as it appears inside a prompt, i.e. after a space (" happy")."""
    words = list(dict.fromkeys(words))
    return pd.Series(token_lengths(tokenizer, [" " + w for w in words]), index=words, name="tokens")


def vader_sign_agreement(adjectives: pd.DataFrame, threshold: float = 1.0) -> float:
    """Share of valence words with |vader| >= threshold whose VADER sign matches their label."""
    rated = adjectives[(adjectives["axis"] == "valence") & (adjectives["vader"].abs() >= threshold)]
    if rated.empty:
        return math.nan
    sign = np.where(rated["label"] == "positive", 1.0, -1.0)
    return float(np.mean(np.sign(rated["vader"].to_numpy()) == sign))


def vader_sentence_scores(sentences: pd.DataFrame) -> pd.DataFrame:
    """VADER's compound score per sentence and its guess: a lexicon baseline for the polarity task.

    The guess is "positive" when compound > 0, "negative" when < 0 and "none" (counted as
    wrong) when VADER finds no polar word at all.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(t)["compound"] for t in sentences["text"]])
    guess = np.where(compound > 0, "positive", np.where(compound < 0, "negative", "none"))
    return sentences.assign(vader_compound=compound, vader_guess=guess,
                            vader_correct=guess == sentences["label"].to_numpy())


def label_balance(prompts: pd.DataFrame) -> pd.DataFrame:
    """Prompts per (axis, negated) and label: every cell should be balanced."""
    balance = prompts.pivot_table(index=["axis", "negation"], columns="y", values="prompt", aggfunc="count",
                                  fill_value=0)
    return balance.rename(columns={0: "y=0 (negative / low)", 1: "y=1 (positive / high)"})


def example_pairs(prompts: pd.DataFrame, templates: pd.DataFrame, word: str = "delighted") -> pd.DataFrame:
    """One minimal pair per frame filled with ``word``: the label flips with the negation."""
    first_pattern = templates.groupby("frame")["pattern"].first()
    rows = prompts[(prompts["axis"] == "valence") & prompts["pattern"].isin(first_pattern)
                   & (prompts["adjective"] == word)]
    return rows[["frame", "prompt", "negation", "label"]].reset_index(drop=True)


def prompt_lengths(tokenizer, prompts: pd.DataFrame, n: int | None = None, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Token counts of every prompt (or of ``n`` sampled ones) and their summary statistics."""
    sample = prompts.sample(n=min(n, len(prompts)), random_state=seed) if n else prompts
    lengths = sample.assign(tokens=token_lengths(tokenizer, sample["prompt"]))
    stats = {"mean": float(lengths["tokens"].mean()), "median": float(lengths["tokens"].median()),
             "max": int(lengths["tokens"].max()), "fraction_le_25": float((lengths["tokens"] <= 25).mean()),
             "n_counted": int(len(lengths))}
    return lengths, stats


def adjective_tokens(tokenizer, adjectives: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Tokens per adjective (as it appears after a space) and the single-token fractions."""
    word_tokens = word_token_counts(tokenizer, adjectives["word"])
    adjectives = adjectives.assign(tokens=adjectives["word"].map(word_tokens))
    by_axis = adjectives.groupby("axis")["tokens"].apply(lambda t: float((t == 1).mean())).to_dict()
    return adjectives, {"all": float((word_tokens == 1).mean()), "by_axis": by_axis}


def split_sizes(prompts: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Train/test sizes of every split, both axes (``describe_splits`` per axis)."""
    from .data import describe_splits, splits

    tables = []
    for axis in AXES:
        axis_prompts = prompts[prompts["axis"] == axis].reset_index(drop=True)
        tables.append(describe_splits(axis_prompts, splits(axis_prompts, seed=seed)).assign(axis=axis))
    return pd.concat(tables, ignore_index=True)


def circumplex_vader_correlation(emotions: pd.DataFrame, adjectives: pd.DataFrame) -> float:
    """Pearson r between the circumplex valence coordinate and VADER's human rating."""
    valence_words = adjectives[adjectives["axis"] == "valence"]
    rated = emotions.merge(valence_words[["word", "vader"]], on="word").dropna(subset=["vader"])
    return float(np.corrcoef(rated["valence"], rated["vader"])[0, 1])


def human_rating_agreement(adjectives: pd.DataFrame, ratings: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Our adjectives beside the Warriner et al. (2013) human ratings (1-9 scale).

    Returns one row per (axis, word) with its human valence/arousal/dominance (NaN where the
    word is not rated) and a dict: coverage per axis, and the share of rated words whose label
    agrees with the side of the scale's midpoint (5) the humans put them on.
    """
    merged = adjectives[["axis", "word", "label"]].merge(ratings, on="word", how="left")
    high = {"valence": "positive", "arousal": "high"}
    rating = np.where(merged["axis"] == "valence", merged["valence"], merged["arousal"])
    merged["human"] = rating
    merged["agrees"] = np.where(np.isnan(rating), np.nan,
                                (rating > 5) == (merged["label"] == merged["axis"].map(high)))
    summary = {}
    for axis, group in merged.groupby("axis"):
        rated = group.dropna(subset=["human"])
        summary[axis] = {"words": int(len(group)), "rated": int(len(rated)),
                         "coverage": float(len(rated) / len(group)) if len(group) else math.nan,
                         "agreement": float(rated["agrees"].mean()) if len(rated) else math.nan}
    return merged, summary


def dataset_summary(**parts) -> dict:
    """Notebook 01's ``summary.json``: the parts computed above, under stable keys."""
    split_table = parts.pop("split_table")
    parts["splits"] = {axis: {row["split"]: {"train": int(row["train"]), "test": int(row["test"])}
                              for _, row in table.iterrows()} for axis, table in split_table.groupby("axis")}
    return parts
