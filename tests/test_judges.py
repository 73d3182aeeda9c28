"""helpers.judges on hand-computed cases (no real model: a bigram stub gives exact perplexities)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from helpers import judges
from helpers.models import ModelInfo


# ------------------------------------------------------------------ VADER
def test_vader_compound_matches_the_formula():
    # One lexicon word: compound = x / sqrt(x^2 + 15), x = its valence (good 1.9, terrible -2.1),
    # rounded to 4 decimals by VADER.
    assert judges.vader("good") == pytest.approx(round(1.9 / math.sqrt(1.9 ** 2 + 15), 4))
    assert judges.vader("terrible") == pytest.approx(round(-2.1 / math.sqrt(2.1 ** 2 + 15), 4))
    scores = judges.vader(["good", "", "the table"])
    assert isinstance(scores, np.ndarray) and scores.shape == (3,)
    assert scores[1] == 0.0 and scores[2] == 0.0


# ------------------------------------------------------------------ arousal proxy
def test_arousal_scores_count_lexicon_hits_per_100_words():
    # 6 words: i screamed and ran then slept -> high: screamed, ran; low: slept
    out = judges.arousal_scores(["I screamed and ran, then slept!", "the table", ""])
    assert out["high_rate"][0] == pytest.approx(200 / 6)
    assert out["low_rate"][0] == pytest.approx(100 / 6)
    assert out["arousal_index"][0] == pytest.approx(100 / 6)
    assert out["exclaims"].tolist() == [1.0, 0.0, 0.0]
    assert out["high_rate"][1] == out["low_rate"][1] == out["high_rate"][2] == 0.0


def test_arousal_lexicon_includes_the_dataset_adjectives_and_is_disjoint():
    high, low = judges.arousal_lexicon()
    assert {"furious", "thrilled", "screamed"} <= high
    assert {"sleepy", "calm", "quietly"} <= low
    assert not high & low


def test_arousal_scores_with_an_explicit_lexicon():
    out = judges.arousal_scores(["Wow wow calm"], lexicon=(frozenset({"wow"}), frozenset({"calm"})))
    assert out["arousal_index"][0] == pytest.approx(100 / 3)


# ------------------------------------------------------------------ distinct-n
def test_distinct_n_hand_computed():
    # bigrams: the cat, cat sat, sat on, on the, the cat, cat sat -> 4 distinct of 6
    assert judges.distinct_n("the cat sat on the cat sat") == pytest.approx(4 / 6)
    assert judges.distinct_n("The cat. The cat!", n=1) == pytest.approx(2 / 4)
    values = judges.distinct_n(["a b c", "word", "a a a a"])
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        judges.distinct_n("x", n=0)


# ------------------------------------------------------------------ perplexity (bigram stub)
V = 4  # vocabulary: "a" -> 0, "b" -> 1, "c" -> 2, "d" -> 3


class _Tokenizer:
    pad_token_id = 3
    bos_token_id = None
    eos_token_id = 3

    def _ids(self, text):
        return ["abcd".index(ch) for ch in text if ch in "abcd"]

    def __call__(self, texts, add_special_tokens=False, return_offsets_mapping=False):
        if isinstance(texts, str):
            return {"input_ids": self._ids(texts)}
        return {"input_ids": [self._ids(t) for t in texts]}


def _bigram_stub(table: np.ndarray):
    """A 'model' whose next-token distribution depends only on the current token: table[current]."""
    import torch

    log_table = torch.log(torch.tensor(table, dtype=torch.float32))

    class HF(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward(self, input_ids, attention_mask=None, **kwargs):
            return SimpleNamespace(logits=log_table[input_ids])

    info = ModelInfo(name="stub", weights_id="stub", prepend_bos=False, path="", n_layers=1, d_model=2, chat=False)
    return SimpleNamespace(original_model=HF(), tokenizer=_Tokenizer(), emo=info)


def test_perplexity_uniform_model_is_the_vocabulary_size():
    model = _bigram_stub(np.full((V, V), 1 / V))
    ppl = judges.perplexity(model, ["ab", "a"], ["cab", "bbbbbb"])
    assert ppl == pytest.approx([V, V], rel=1e-5)


def test_perplexity_bigram_hand_computed_and_batch_independent():
    table = np.array([[0.1, 0.6, 0.2, 0.1],     # after a
                      [0.5, 0.1, 0.3, 0.1],     # after b
                      [0.25, 0.25, 0.25, 0.25],  # after c
                      [0.25, 0.25, 0.25, 0.25]])
    model = _bigram_stub(table)
    # prompt "a", continuation "bc": P(b|a) = 0.6, P(c|b) = 0.3 -> exp(-(ln .6 + ln .3)/2)
    expected_1 = math.exp(-(math.log(0.6) + math.log(0.3)) / 2)
    # prompt "ab", continuation "a": only P(a|b) = 0.5 is scored
    expected_2 = 2.0
    together = judges.perplexity(model, ["a", "ab", "a"], ["bc", "a", ""], batch_size=2)
    assert together[0] == pytest.approx(expected_1, rel=1e-5)
    assert together[1] == pytest.approx(expected_2, rel=1e-5)
    assert math.isnan(together[2])  # empty continuation
    alone = judges.perplexity(model, ["a"], ["bc"], batch_size=1)
    assert alone[0] == pytest.approx(together[0], rel=1e-6)
    with pytest.raises(ValueError):
        judges.perplexity(model, ["a"], ["b", "c"])
