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


def test_activations_for_runs_each_missing_prompt_once_and_reuses_computed_rows(monkeypatch):
    """The wide test's two pools: rows the sweep ran (either axis) are reused, the rest of both run in one pass."""
    import pandas as pd

    from helpers import evaluation as E
    from helpers.probing_study import ProbingStudy

    def value(prompt, hook, pooling, layer):  # an activation depends on the text and the configuration only
        return np.array([len(prompt), sum(map(ord, prompt)) % 97, len(hook), len(pooling), layer], np.float32)

    def frame(texts):
        return pd.DataFrame({"prompt": texts, "adjective": [t.split()[-1] for t in texts]})

    valence_cfg = {"hook": "attn_v", "pooling": "mean", "layer": 3}
    arousal_cfg = {"hook": "resid_post", "pooling": "last", "layer": 2}
    sampled = {"valence": frame(["I am happy", "I am sad"]), "arousal": frame(["I am calm", "I am tense"])}
    study = ProbingStudy.__new__(ProbingStudy)
    study.model, study.wide_pools = None, {}
    study.data = {axis: (df, {}) for axis, df in sampled.items()}
    study.matrices = {(axis, cfg["hook"], cfg["pooling"], cfg["layer"]): np.stack([value(t, *cfg.values()) for t in df.prompt])
                      for axis, df in sampled.items() for cfg in (valence_cfg, arousal_cfg)}
    runs = []

    def fake_prompt_activations(model, df, *, hooks, poolings, layers, **kw):
        runs.append(list(df.prompt))
        return {(h, p): np.stack([np.stack([value(t, h, p, layer) for layer in layers]) for t in df.prompt])
                for h in hooks for p in poolings}

    monkeypatch.setattr(E, "prompt_activations", fake_prompt_activations)
    valence_pool = frame(["I am happy", "I am calm", "We are glad", "We are angry"])
    arousal_pool = frame(["I am calm", "We are angry", "We are sleepy"])
    (Xv, reused_v), (Xa, reused_a) = study._activations_for([(valence_pool, valence_cfg), (arousal_pool, arousal_cfg)])
    assert len(runs) == 1 and sorted(runs[0]) == ["We are angry", "We are glad", "We are sleepy"]
    assert (reused_v, reused_a) == (2, 1)  # "I am calm" comes from the arousal sample, for both configurations
    np.testing.assert_array_equal(Xv, np.stack([value(t, *valence_cfg.values()) for t in valence_pool.prompt]))
    np.testing.assert_array_equal(Xa, np.stack([value(t, *arousal_cfg.values()) for t in arousal_pool.prompt]))
