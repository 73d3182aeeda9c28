"""helpers.human_labels: human ratings as a reference for the probes' read-out and as arousal labels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import human_labels as H

RATINGS = pd.DataFrame({"word": ["calm", "sleepy", "bored", "ok", "busy", "angry", "wild"],
                        "valence": [6.0, 5.0, 3.0, 5.0, 4.0, 2.0, 6.5],
                        "arousal": [1.5, 1.0, 2.0, 4.0, 6.0, 7.0, 8.0],
                        "dominance": [5.0] * 7})


def toy_words():
    # "zonked" is absent from the norms: dropped and counted; "busy" is hand-labelled low, humans put it high
    return pd.DataFrame({"word": ["calm", "sleepy", "bored", "ok", "busy", "angry", "wild", "zonked"],
                         "label": ["low", "low", "low", "low", "low", "high", "high", "low"]})


def test_thirds_labels_top_and_bottom_third_of_the_rated_words():
    words, coverage = H.thirds_labels(toy_words(), RATINGS, "arousal")
    got = {w: label if isinstance(label, str) else None for w, label in zip(words["word"], words["label"])}
    # 7 rated words: k = 2 per end; bottom: sleepy 1.0, calm 1.5; top: wild 8.0, angry 7.0; middle: bored, ok, busy
    assert got == {"calm": "low", "sleepy": "low", "bored": None, "ok": None, "busy": None, "angry": "high",
                   "wild": "high", "zonked": None}
    assert dict(zip(words["word"], words["third"]))["zonked"] == "unrated"
    assert np.isnan(words.set_index("word").loc["zonked", "rating"])
    assert coverage == {"n_words": 8, "n_rated": 7, "n_unrated": 1, "unrated": ["zonked"], "n_high": 2, "n_low": 2,
                        "n_middle": 3, "low_max": 1.5, "high_min": 7.0}


def test_thirds_never_split_a_tie_and_need_three_rated_words():
    ratings = RATINGS.assign(arousal=[1.0, 1.0, 1.0, 4.0, 6.0, 7.0, 8.0])  # calm, sleepy, bored tie at the bottom
    words, coverage = H.thirds_labels(toy_words(), ratings, "arousal")
    assert coverage["n_low"] == 3 and coverage["n_high"] == 2 and coverage["n_middle"] == 2
    assert set(words.loc[words["label"] == "low", "word"]) == {"calm", "sleepy", "bored"}
    with pytest.raises(ValueError, match="thirds need at least 3"):
        H.thirds_labels(toy_words().head(2), RATINGS, "arousal")
    with pytest.raises(ValueError, match="ties span the thirds"):
        H.thirds_labels(toy_words(), RATINGS.assign(arousal=5.0), "arousal")


def test_label_agreement_counts_only_words_with_both_labels():
    words, _ = H.thirds_labels(toy_words(), RATINGS.assign(arousal=[1.5, 1.0, 2.0, 4.0, 8.5, 7.0, 8.0]), "arousal")
    # 7 rated -> bottom: sleepy, calm (hand low, low); top: busy 8.5 (hand low!), wild 8.0 (high)
    by_word = words.set_index("word")
    got = H.label_agreement(by_word["hand_label"], by_word["label"])
    assert got["n_words"] == 4 and got["agreement"] == 0.75 and got["disagreements"] == ["busy"]
    assert got["confusion"] == {"high->high": 1, "low->high": 1, "low->low": 2}
    # kappa: p_o = 3/4; p_e = P(hand low) P(human low) + P(hand high) P(human high) = 3/4 * 1/2 + 1/4 * 1/2 = 1/2
    assert got["kappa"] == pytest.approx(0.5)
    assert H.label_agreement(pd.Series({"a": "low"}), pd.Series({"a": None}))["n_words"] == 0


def prompts():
    return pd.DataFrame({"prompt_id": [f"t{i}|{w}|arousal" for i, w in enumerate(["calm", "calm", "wild", "ok"])],
                         "adjective": ["calm", "calm", "wild", "ok"], "axis": "arousal",
                         "negation": [False, True, False, False], "label": ["low", "high", "high", "low"],
                         "adjective_label": ["low", "low", "high", "low"], "y": [0, 1, 1, 0]})


def test_relabel_prompts_flips_under_negation_and_drops_unlabelled_words():
    got = H.relabel_prompts(prompts(), {"calm": "high", "wild": "low"})  # "ok": no label, dropped
    assert got["adjective"].tolist() == ["calm", "calm", "wild"]
    assert got["adjective_label"].tolist() == ["high", "high", "low"]
    assert got["label"].tolist() == ["high", "low", "low"] and got["y"].tolist() == [1, 0, 0]


def test_word_means_average_affirmative_rows_only():
    got = H.word_means([1.0, 100.0, 3.0, 5.0], prompts())
    assert got.to_dict(orient="list") == {"adjective": ["calm", "ok", "wild"], "score": [1.0, 5.0, 3.0]}
    masked = H.word_means([1.0, 100.0, 3.0, 5.0], prompts(), mask=np.array([True, True, True, False]))
    assert masked["adjective"].tolist() == ["calm", "wild"]


def test_rating_correlation_drops_and_counts_unrated_words():
    per_word = pd.DataFrame({"adjective": ["sleepy", "calm", "bored", "angry", "wild", "zonked"],
                             "score": [-3.0, -2.0, -1.0, 2.0, 3.0, 0.0]})
    got = H.rating_correlation(per_word, RATINGS, "arousal", n_boot=200)
    assert got["spearman"] == pytest.approx(1.0) and got["n_words"] == 5 and got["n_unrated"] == 1
    assert got["ci"] == pytest.approx([1.0, 1.0])
    assert np.isnan(got["per_word"].set_index("adjective").loc["zonked", "human"])
    reversed_ = H.rating_correlation(per_word.assign(score=-per_word["score"]), RATINGS, "arousal", n_boot=200)
    assert reversed_["spearman"] == pytest.approx(-1.0)
    assert H.rating_correlation(per_word.head(2), RATINGS, "arousal")["spearman"] is None  # too few words
    with pytest.raises(ValueError, match="no column 'joy'"):
        H.rating_correlation(per_word, RATINGS, "joy")
