"""Split seeds: validation of the seed list, the seed x word x pattern bootstrap, per-seed refits, and
the wide test pool that serves every seed."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import seeds as S
from helpers.settings import Probing
from tests.test_evaluation import features, synthetic_prompts


def test_seed_lists_are_checked():
    assert S.check_seeds([0, 1, 2]) == (0, 1, 2) and S.check_seeds(range(2)) == (0, 1)
    for bad in ([], (), None, [0, 1.5], ["1"], [True], [-1], [2, 2], 3):
        with pytest.raises(ValueError, match="seeds"):
            S.check_seeds(bad)
    assert Probing.preset("default").seeds == (0, 1, 2, 3, 4) and len(Probing.preset("quick").seeds) == 2


def test_study_rejects_bad_seeds_and_C_grid():
    from helpers.probing_study import ProbingStudy

    class Cfg:
        n_layers = 2

    class Model:
        cfg = Cfg()

    with pytest.raises(ValueError, match="seeds"):
        ProbingStudy(Model(), Probing.preset("quick", seeds=()))
    with pytest.raises(ValueError, match="Cs"):
        ProbingStudy(Model(), Probing.preset("quick", Cs=(0.1, 0.0)))


def test_seed_interval_resamples_seeds_words_and_patterns():
    groups = np.column_stack([np.repeat(np.arange(10), 10), np.tile(np.arange(10), 10)])
    rows = np.arange(100)
    perfect = [(rows, np.ones(100)), (rows, np.ones(100))]
    assert S.seed_interval(perfect, groups) == [1.0, 1.0]
    # one seed at 1.0, one at 0.6 (right on 6 of 10 patterns): drawing the second seed twice, and its
    # patterns, reaches below 0.6; drawing the first twice reaches 1.0
    second = (groups[:, 1] < 6).astype(float)
    low, high = S.seed_interval([(rows, np.ones(100)), (rows, second)], groups)
    assert low < 0.6 and high == 1.0
    only_first = S.seed_interval([(rows, np.ones(100))], groups)
    assert only_first == [1.0, 1.0]
    # one word wrong everywhere: word resampling widens the interval, with one seed too
    wrong_word = (groups[:, 0] != 0).astype(float)
    low, high = S.seed_interval([(rows, wrong_word)], groups)
    assert low < 0.9 - 0.05 and high == 1.0


def test_every_seed_refits_on_its_own_split():
    df = synthetic_prompts()
    parts = S.split_sets(df, (0, 1, 2))
    runs = S.evaluate_seeds(features(df, meaning=2.0), df, parts)
    assert list(runs) == [0, 1, 2]
    for seed, run in runs.items():
        idx, correct = run["correct"][("all", "E1")]
        assert set(idx) == set(np.flatnonzero(parts[seed]["E1"])) and correct.all()
    summary = S.summarise_seeds(runs, df)
    assert summary["seeds"] == [0, 1, 2]
    assert summary["accuracy"]["E1"] == 1.0 and summary["accuracy_range"]["E4"] == [1.0, 1.0]
    assert summary["accuracy_ci"]["negation_transfer"] == [1.0, 1.0]
    assert set(summary["accuracy_affirmative_only"]) == {"E1", "E2", "E3", "E4"}
    # a word-reading feature: affirmative-only perfect, negation transfer inverted, on every seed
    word = S.summarise_seeds(S.evaluate_seeds(features(df, word=2.0), df, parts), df)
    assert word["accuracy_seeds"]["negation_transfer"] == [0.0, 0.0, 0.0]
    assert word["accuracy_affirmative_only"]["E1"] == 1.0


def test_wide_pool_serves_every_seed_without_training_rows():
    from helpers.evaluation import prompt_set

    df, parts = prompt_set("valence", n_templates=16, n_adjectives=20, seed=0)
    parts_by_seed = S.split_sets(df, (0, 1, 2))
    pool = S.wide_pool(df, parts_by_seed[0], axis="valence", n_patterns=4, seed=0)
    assert set(pool["pool"]) == {"sample", "outside"}
    assert pool.groupby("pool")["pattern"].nunique().to_dict() == {"outside": 4, "sample": 4}
    assert not set(pool.loc[pool["pool"] == "outside", "pattern"]) & set(df["pattern"])
    for seed, parts in parts_by_seed.items():
        masks = S.wide_masks(pool, df, parts)
        train_words = set(df.loc[parts["train"], "adjective"])
        train_prompts = set(df.loc[parts["train"], "prompt"])
        for split, mask in masks.items():
            assert mask.any(), (seed, split)
            assert not set(pool.loc[mask, "prompt"]) & train_prompts
            unseen = not set(pool.loc[mask, "adjective"]) & train_words
            assert unseen == (split != "E2_wide")
