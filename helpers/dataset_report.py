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
