"""Intervals on data whose answer is known: the bootstrap of an accuracy, the t-interval of a mean."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.stats import bootstrap_ci, mean_ci


def test_bootstrap_ci_known_data():
    assert bootstrap_ci(np.ones(50)) == (1.0, 1.0)
    assert bootstrap_ci(np.zeros(50)) == (0.0, 0.0)
    correct = np.array([1, 0] * 200)  # p = 0.5, n = 400: normal interval 0.5 +- 1.96 * 0.025
    low, high = bootstrap_ci(correct, n_boot=4000, seed=1)
    assert low == pytest.approx(0.451, abs=0.01) and high == pytest.approx(0.549, abs=0.01)
    assert bootstrap_ci(correct, seed=3) == bootstrap_ci(correct, seed=3)  # deterministic
    with pytest.raises(ValueError):
        bootstrap_ci([])


def test_cluster_bootstrap_is_about_the_clusters():
    # 10 words x 40 rows each; 9 words always right, one always wrong: accuracy 0.9
    words = np.repeat([f"w{i}" for i in range(10)], 40)
    correct = (words != "w0").astype(float)
    rows = bootstrap_ci(correct, n_boot=4000, seed=0)
    by_word = bootstrap_ci(correct, n_boot=4000, seed=0, clusters=[words])
    # rows: 400 independent draws, sd 0.015; words: 10 draws, sd of the mean sqrt(.09/10) = 0.095
    assert rows[1] - rows[0] < 0.07
    assert by_word[1] - by_word[0] > 0.25
    assert by_word[0] == pytest.approx(0.7, abs=0.05) and by_word[1] == 1.0
    # a factor on which nothing depends changes nothing but the spread of the draws
    same = np.ones(400)
    assert bootstrap_ci(same, clusters=[words, np.tile(np.arange(40), 10)]) == (1.0, 1.0)


def test_two_way_clusters_weight_rows_by_both_factors():
    # a full 3 x 3 crossing; only (a, x) is wrong. Every replicate's mean is a weighted mean of rows.
    words = np.repeat(["a", "b", "c"], 3)
    patterns = np.tile(["x", "y", "z"], 3)
    correct = ~((words == "a") & (patterns == "x"))
    low, high = bootstrap_ci(correct, n_boot=3000, seed=2, clusters=[words, patterns])
    assert 0 <= low < 8 / 9 < high == 1.0
    with pytest.raises(ValueError, match="entries"):
        bootstrap_ci(correct, clusters=[words[:5]])


def test_mean_ci_student_t():
    mean, low, high = mean_ci([1, 2, 3])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, df=2) * sd 1 / sqrt(3)
    assert mean == 2.0 and low == pytest.approx(2 - half) and high == pytest.approx(2 + half)
    assert mean_ci([np.nan, 5.0])[0] == 5.0 and math.isnan(mean_ci([5.0])[1])
    assert all(math.isnan(v) for v in mean_ci([]))


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
