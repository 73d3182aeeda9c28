"""Human ratings (Warriner et al. 2013) beside the binary probes: as a reference for their read-out
and as labels in place of our own (issue #16).

    per_word = word_means(scores, prompts)                       # mean read-out per adjective
    rating_correlation(per_word, human_ratings(), "arousal")     # Spearman, bootstrap interval, n words
    words, coverage = thirds_labels(adjectives, human_ratings(), "arousal")   # top / bottom third
    label_agreement(words["hand_label"], words["label"])         # hand labels vs human thirds
    prompts = relabel_prompts(prompts, words.dropna(subset=["label"]).set_index("word")["label"].to_dict())

Thirds are taken over the rated words of the set: the ``k = n_rated // 3`` lowest-rated words
mark the bottom third and the ``k`` highest the top third; a word tied with the boundary word
falls on the boundary's side (ties never split). A word absent from the norms gets no label and
is counted in ``coverage``; the middle third is dropped.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .data import FLIP, LABELS, POSITIVE_CLASS


def word_means(scores: Sequence[float], prompts: pd.DataFrame, mask: np.ndarray | None = None) -> pd.DataFrame:
    """Mean read-out per adjective over the affirmative rows of ``prompts`` (inside ``mask``): under
    negation the meaning flips, the word's rating does not. Columns ``adjective, score``."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) != len(prompts):
        raise ValueError(f"scores has {len(scores)} values for {len(prompts)} prompts.")
    rows = ~prompts["negation"].to_numpy().astype(bool)
    if mask is not None:
        rows &= np.asarray(mask, dtype=bool)
    frame = pd.DataFrame({"adjective": prompts["adjective"].to_numpy()[rows], "score": scores[rows]})
    return frame.groupby("adjective", sort=True)["score"].mean().reset_index()


def rating_correlation(per_word: pd.DataFrame, ratings: pd.DataFrame, column: str, *, n_boot: int = 2000,
                       seed: int = 0) -> dict:
    """Spearman of ``per_word["score"]`` with the words' human ``column`` rating, a 95% percentile
    bootstrap interval over words, ``n_words`` (rated) and ``n_unrated`` (absent from the norms,
    dropped); ``per_word`` comes back with the rating beside the score (NaN: unrated)."""
    from .readouts import spearman

    if column not in ratings.columns:
        raise ValueError(f"ratings has no column {column!r}; it has {list(ratings.columns)}.")
    merged = per_word[["adjective", "score"]].assign(
        human=per_word["adjective"].map(ratings.set_index("word")[column]).astype(float))
    rated = merged.dropna(subset=["human"])
    out = {"spearman": None, "ci": [None, None], "n_words": int(len(rated)),
           "n_unrated": int(len(merged) - len(rated)), "per_word": merged}
    if len(rated) < 3:
        return out
    a, b = rated["score"].to_numpy(), rated["human"].to_numpy()
    rng = np.random.default_rng(seed)
    boots = [spearman(a[i], b[i]) for i in (rng.integers(0, len(a), len(a)) for _ in range(n_boot))]
    out.update(spearman=spearman(a, b), ci=[float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))])
    return out


def thirds_labels(words: pd.DataFrame, ratings: pd.DataFrame, column: str = "arousal") -> tuple[pd.DataFrame, dict]:
    """Label ``words`` (columns ``word``, ``label``: the hand label) by human ``column`` rating:
    the top third of the rated words ``LABELS[column][1]`` (high), the bottom third ``[0]`` (low).

    Returns every word with ``hand_label``, ``rating`` (NaN: absent from the norms), ``third``
    (``top`` / ``middle`` / ``bottom`` / ``unrated``) and ``label`` (the human label; missing for the
    middle third and unrated words), and the coverage: ``n_words``, ``n_rated``, ``n_unrated``,
    ``unrated`` (the words), ``n_high``, ``n_low``, ``n_middle``, ``low_max`` / ``high_min`` (the
    ratings at the boundaries).
    """
    if column not in LABELS:
        raise ValueError(f"column must be one of {list(LABELS)}, got {column!r}.")
    if words["word"].duplicated().any():
        raise ValueError(f"words lists {words['word'][words['word'].duplicated()].iloc[0]!r} twice.")
    low, high = LABELS[column]
    rating = words["word"].map(ratings.set_index("word")[column]).astype(float).to_numpy()
    rated = np.sort(rating[~np.isnan(rating)])
    k = len(rated) // 3
    if k == 0:
        raise ValueError(f"{len(rated)} of {len(words)} words are rated: thirds need at least 3.")
    low_max, high_min = rated[k - 1], rated[-k]
    if low_max >= high_min:
        raise ValueError(f"ties span the thirds (bottom third up to {low_max}, top third from {high_min}).")
    third = np.where(np.isnan(rating), "unrated",
                     np.where(rating <= low_max, "bottom", np.where(rating >= high_min, "top", "middle")))
    label = [{"top": high, "bottom": low}.get(t) for t in third]
    out = pd.DataFrame({"word": words["word"].to_numpy(), "hand_label": words["label"].to_numpy(), "rating": rating,
                        "third": third, "label": label})
    coverage = {"n_words": int(len(out)), "n_rated": int(len(rated)), "n_unrated": int(np.isnan(rating).sum()),
                "unrated": out.loc[third == "unrated", "word"].tolist(), "n_high": int((third == "top").sum()),
                "n_low": int((third == "bottom").sum()), "n_middle": int((third == "middle").sum()),
                "low_max": float(low_max), "high_min": float(high_min)}
    return out, coverage


def label_agreement(hand: pd.Series, human: pd.Series) -> dict:
    """Share of words whose hand label equals the human label, over the words that have both (two
    Series indexed by word; None / NaN: no label); ``n_words``, Cohen's ``kappa``, ``confusion``
    (``"hand->human"``: count) and ``disagreements`` (the words, sorted)."""
    both = pd.DataFrame({"hand": hand, "human": human}).dropna()
    if both.empty:
        return {"agreement": None, "kappa": None, "n_words": 0, "confusion": {}, "disagreements": []}
    agree = both["hand"] == both["human"]
    p_o = float(agree.mean())
    p_e = float(sum(both["hand"].eq(c).mean() * both["human"].eq(c).mean() for c in set(both["hand"]) | set(both["human"])))
    counts = both.groupby(["hand", "human"]).size()
    return {"agreement": p_o, "kappa": (p_o - p_e) / (1 - p_e) if p_e < 1 else None, "n_words": int(len(both)),
            "confusion": {f"{a}->{b}": int(n) for (a, b), n in counts.items()},
            "disagreements": sorted(map(str, both.index[~agree]))}


def relabel_prompts(prompts: pd.DataFrame, word_labels: dict[str, str]) -> pd.DataFrame:
    """The rows of ``prompts`` whose adjective has a label in ``word_labels``, relabelled the way
    ``helpers.data.load_prompts`` labels: ``adjective_label`` the word's label, ``label`` flipped under
    negation (labels by meaning), ``y`` = 1 for positive / high. Row order kept, index reset."""
    keep = prompts[prompts["adjective"].map(word_labels).notna().to_numpy()].reset_index(drop=True)
    word_label = keep["adjective"].map(word_labels)
    negated = keep["negation"].to_numpy().astype(bool)
    keep["adjective_label"] = word_label.to_numpy()
    keep["label"] = np.where(negated, word_label.map(FLIP).to_numpy(), word_label.to_numpy())
    keep["y"] = (keep["label"] == keep["axis"].map(POSITIVE_CLASS)).astype(int)
    return keep
