"""Notebook 06's helpers on exact small cases: fillers, re-mention sites, per-token read-outs, the
next-token summary, half-life and the steering persistence ratio."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import persistence as P
from helpers import token_readouts as T
from helpers.next_token import control_summary, summarise_distribution, token_classes
from helpers.probes import Probe

pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")


@pytest.mark.parametrize("model_name", ["smollm2-135m", "gemma3-270m"])
def test_a_filler_of_length_k_adds_exactly_k_tokens(smol, model_name):
    from helpers import load_model

    model = smol if model_name == "smollm2-135m" else load_model(model_name, device="cpu")
    statement = "Mei felt furious after the phone call."
    ks = (0, 1, 4, 17, 64, 256)
    cuts = P.filler_cuts(model, statement, P.filler_text(1, 2), ks)
    base = len(model.tokenizer(statement, add_special_tokens=False)["input_ids"])
    for k, cut in cuts.items():
        ids = model.tokenizer(statement + cut, add_special_tokens=False)["input_ids"]
        assert len(ids) == base + k
    assert all(cuts[a] == cuts[b][:len(cuts[a])] for a, b in zip(ks, ks[1:]))  # nested: one pass serves all
    with pytest.raises(ValueError, match="exceeds"):
        P.filler_cuts(model, statement, " Short.", [10])
    with pytest.raises(ValueError, match="non-negative"):
        P.filler_cuts(model, statement, P.filler_text(0), [-1])


def test_distance_prompts_sites_found_by_offsets(smol):
    from helpers.collect import encode

    frame = P.distance_prompts(smol, "valence", ks=(0, 8), n_adjectives=4, n_templates=2, n_fillers=2, seed=1)
    # k = 0 only once (no filler), 2 fillers at k = 8, two sites each
    assert len(frame) == 4 * 2 * (1 + 2) * 2
    assert set(frame["y"]) == {0, 1} and frame.groupby("adjective")["y"].nunique().max() == 1
    for row in frame.itertuples():
        a, b = row.span
        tokens = encode(smol, row.text, (a, b)).word_tokens
        decoded = smol.tokenizer.decode([encode(smol, row.text).ids[j] for j in tokens])
        if row.site == "mention":
            assert row.text.startswith(row.statement) and decoded.strip() == row.text[a:b]
            assert tokens[-1] == len(encode(smol, row.text).ids) - 1
        else:
            assert tokens == [len(encode(smol, row.text).ids) - 1]
    test = P.adjective_split(frame, 0.5, seed=0)
    assert frame.loc[test, "adjective"].nunique() == 2 and not set(frame.loc[test, "adjective"]) & set(
        frame.loc[~test, "adjective"])
    with pytest.raises(ValueError, match="include 0"):
        P.distance_prompts(smol, "valence", ks=(4, 8))
    with pytest.raises(ValueError, match="n_adjectives"):
        P.distance_prompts(smol, "valence", n_adjectives=3)


def test_statement_templates_keep_the_templates_own_re_mention():
    table = P.statement_templates()
    row = table[table["template_id"] == "T001"].iloc[0]
    assert (row["statement"], row["remention"], row["subject"]) == ("Bob feels {}.", " So Bob", "Bob")
    assert table["statement"].str.endswith(".").all() and len(table) > 100


def test_token_activations_equal_collect_at_the_last_token(smol):
    from helpers.collect import collect

    texts = ["Bob feels happy. The train leaves at nine.", "Sad news"]
    items = T.token_activations(smol, texts, [3, 20], spans=[(4, 9), (0, 3)])
    want = collect(smol, texts, layers=[3, 20], cache=False)
    for item, row in zip(items, want):
        np.testing.assert_allclose(item["acts"][-1], row, atol=1e-4)
    assert smol.tokenizer.decode([items[0]["ids"][j] for j in items[0]["selected"]]).strip() == "feels"


def _probe(axis="valence", width=2, layer=0):
    unit = np.eye(width)[0]
    return Probe(axis=axis, kind="mean_diff", hook="resid_post", pooling="last", layer=layer, mean=np.zeros(width),
                 scale=np.ones(width), coef=unit, intercept=0.0, direction=unit, projection_std=1.0)


def test_next_token_summary_equals_a_hand_computation():
    vocab = pd.DataFrame({"token_id": [1, 2, 4], "word": ["joy", "grief", "calm"],
                          "valence": [8.0, 2.0, 6.0], "arousal": [6.0, 5.0, 2.0]})
    probs = np.array([[0.1, 0.2, 0.3, 0.1, 0.3],   # rated mass 0.2 + 0.3 + 0.3 = 0.8
                      [0.0, 0.0, 1.0, 0.0, 0.0]])
    got = summarise_distribution(probs, vocab)
    assert got["rated_mass"].tolist() == pytest.approx([0.8, 1.0])
    assert got["expected_valence"][0] == pytest.approx((0.2 * 8 + 0.3 * 2 + 0.3 * 6) / 0.8)
    assert got["expected_arousal"][0] == pytest.approx((0.2 * 6 + 0.3 * 5 + 0.3 * 2) / 0.8)
    assert got["expected_valence"][1] == pytest.approx(2.0)
    classes = token_classes(vocab)  # thirds of three words: one word each
    assert classes["positive"].tolist() == [True, False, False] and classes["low"].tolist() == [False, False, True]
    assert got["mass_positive"][0] == pytest.approx(0.2) and got["mass_negative"][0] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="vocabulary"):
        summarise_distribution(np.ones((1, 3)) / 3, vocab)


def test_control_summary_spearman_and_selectivity():
    rows = []
    for alpha in (-4.0, 0.0, 4.0):
        rows.append({"direction": "valence", "alpha": alpha, "expected_valence": 5 + alpha / 4,
                     "expected_arousal": 4 + alpha / 40})
        rows.append({"direction": "arousal", "alpha": alpha, "expected_valence": 5 - alpha / 8,
                     "expected_arousal": 4 + (alpha == 4.0)})
    got = control_summary(pd.DataFrame(rows))
    assert got["valence"]["spearman"] == pytest.approx(1.0)
    assert got["valence"]["selectivity"] == pytest.approx(2.0 / 0.2)
    assert got["arousal"]["selectivity"] == pytest.approx(1.0 / 1.0)
    assert got["arousal"]["spearman"] == pytest.approx(np.corrcoef([1, 2, 3], [1.5, 1.5, 3])[0, 1])  # ranks, tie shared


def test_half_life_first_crossing_and_censoring():
    positions = [-1, 0, 1, 2, 3, 4, 5]
    assert T.half_life(positions, [1.0, 1.0, 1.0, 0.9, 0.7, 0.6, 0.5], window=1) == (3.0, False)  # 0.7 <= 0.75
    assert T.half_life(positions, [0.9] * 7, window=1) == (6.0, True)
    assert np.isnan(T.half_life(positions, [0.5, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5])[0])  # no signal at the start
    with pytest.raises(ValueError):
        T.half_life([], [])


def test_persistence_ratio_from_a_hand_table():
    rows = []
    for condition, size in (("prompt", 0.5), ("all", 2.0)):
        for sign in (1, -1):
            for position in (0, 1):
                rows.append({"condition": condition, "sign": sign, "position": position, "decision": sign * size,
                             "vader": 0.0})
    rows.append({"condition": "none", "sign": 0, "position": 0, "decision": 9.0, "vader": 0.0})
    table = pd.DataFrame(rows)
    assert T.persistence_ratio(table) == pytest.approx(1.0 / 4.0)
    effect = T.persistence_effect(table)
    assert set(effect["condition"]) == {"prompt", "all"} and effect["effect"].max() == pytest.approx(4.0)


def test_generation_readout_marks_generated_tokens_by_offsets(smol):
    probe = _probe(width=smol.cfg.d_model, layer=10)
    table = T.generation_readout(smol, probe, ["Bob feels happy. So Bob"], [1], [" smiled at the dog."])
    assert table["position"].tolist()[:2] == [-1, 0]
    assert "".join(table["token"].iloc[1:]) == " smiled at the dog."
    assert table["token"].iloc[0] == " Bob"
