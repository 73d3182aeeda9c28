"""helpers.prompting: calibration arithmetic, label scoring, parsing, few-shot draws (exact small
cases), and prompting on the real model (batched/prefix-cached == one full pass)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import prompting as B
from helpers.batching import common_prefix_length
from helpers.stats import accuracy_summary

# torch threads as the notebooks set them (tests/conftest.py), for the whole module
pytestmark = pytest.mark.usefixtures("one_torch_thread_when_busy")


def test_content_free_offset_single_input_is_its_log_odds():
    assert B.content_free_offset([1.3]) == pytest.approx(1.3)
    assert B.content_free_offset([-40.0]) == pytest.approx(-40.0)


def test_content_free_offset_averages_probabilities_not_log_odds():
    # p(positive) = 0.5 and 0.75 -> mean 0.625 vs 0.375 -> log(5/3); the mean log-odds would be log(3)/2
    offset = B.content_free_offset([0.0, math.log(3)])
    assert offset == pytest.approx(math.log(5 / 3))
    assert offset != pytest.approx(math.log(3) / 2)
    # symmetric inputs cancel
    assert B.content_free_offset([math.log(3), -math.log(3)]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        B.content_free_offset([])


def test_calibration_flips_a_biased_prompt():
    # a prompt that says "positive" for everything: log-odds 2.0 .. 3.0; content-free inputs give 2.5
    raw = np.array([2.0, 2.2, 2.8, 3.0])
    offset = B.content_free_offset([2.5, 2.5, 2.5])
    assert B.predict_labels(raw).tolist() == [1, 1, 1, 1]
    assert B.calibrate(raw, offset) == pytest.approx([-0.5, -0.3, 0.3, 0.5])
    assert B.predict_labels(B.calibrate(raw, offset)).tolist() == [0, 0, 1, 1]
    assert B.predict_labels([0.0]).tolist() == [0]  # a tie counts as negative


def test_label_scores_logsumexp_of_variants():
    logprobs = np.log([[0.2, 0.1, 0.05, 0.05], [0.01, 0.01, 0.3, 0.5]])
    scores = B.label_scores(logprobs, [[0, 1], [2, 3]])
    assert scores == pytest.approx(np.log([[0.3, 0.1], [0.02, 0.8]]))


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("answer, label", [
    ("Positive.", "positive"), (" negative", "negative"), ("NEGATIVE!", "negative"),
    ("The sentiment is positive", "positive"), ("positive or negative", None), ("Neutral", None), ("", None),
    (" positive\n\nText: a negative one", "positive"), ("\nnegative\n", "negative"), ("positively", None),
])
def test_parse_label(answer, label):
    assert B.parse_label(answer) == label


def test_parse_rate_counts():
    result = B.parse_rate(["positive", "Negative.", "I think so", "positive"], [1, 1, 0, 0])
    assert result["n"] == 4 and result["parse_rate"] == 0.75 and result["answered_positive"] == 0.5
    assert result["accuracy_parsed"] == pytest.approx(1 / 3)
    assert result["accuracy_unparsed_as_wrong"] == 0.25


# ----------------------------------------------------------------------------- statistics


def test_accuracy_summary_exact():
    result = accuracy_summary([1, 1, 0, 0, 1], [1, 0, 0, 1, 1], hard=[False, True, False, True, False])
    assert result["accuracy"] == pytest.approx(0.6) and result["n"] == 5
    assert result["accuracy_hard"] == 0.0 and result["accuracy_easy"] == 1.0
    assert result["answered_positive"] == pytest.approx(0.6)
    assert result["ci_low"] <= 0.6 <= result["ci_high"]


# ----------------------------------------------------------------------------- folds and examples


def test_draw_examples_balanced_from_the_given_rows_only():
    texts = [f"t{i}" for i in range(10)]
    y = [1, 1, 1, 0, 0, 0, 0, 1, 0, 1]
    examples = B.draw_examples(texts, y, 4, seed=0)
    assert len(examples) == 4 and sorted(l for _, l in examples) == ["negative", "negative", "positive", "positive"]
    for text, label in examples:
        assert label == B.LABELS[y[texts.index(text)]]
    assert len({t for t, _ in examples}) == 4
    assert B.draw_examples(texts, y, 0) == []
    odd = B.draw_examples(texts, y, 3, seed=0)
    assert [l for _, l in odd].count("positive") == 2
    with pytest.raises(ValueError):
        B.draw_examples(texts[:3], y[:3], 4)


def test_plain_prompt_for_base_models():
    prompt = B.build_prompt("Great food.", [("Awful.", "negative"), ("Lovely.", "positive")], chat=False)
    assert prompt == (f"{B.PLAIN_HEADER}\n\nText: Awful.\nSentiment: negative\n\nText: Lovely.\nSentiment: positive\n\n"
                      "Text: Great food.\nSentiment:")
    with pytest.raises(ValueError):
        B.build_prompt("x", chat=True, tokenizer=None)


def test_gemma_prompts_get_one_bos_and_single_token_labels():
    from helpers.models import load_tokenizer

    tokenizer = load_tokenizer("gemma3-270m")
    lm = B.LM(hf=None, tokenizer=tokenizer, prepend_bos=True, chat=False)
    ids = B.encode_prompts(lm, B.build_prompts(lm, ["Nice.", "Bad."]))
    assert all(x[0] == tokenizer.bos_token_id and x[1] != tokenizer.bos_token_id for x in ids)
    assert tokenizer.decode(ids[0][1:]).endswith("Text: Nice.\nSentiment:")
    label_ids = B.label_token_ids(tokenizer)
    assert all(len(v) == 4 for v in label_ids.values())


def test_chat_prompt_smollm2():
    from helpers.models import load_tokenizer

    tokenizer = load_tokenizer("smollm2-135m")
    lm = B.LM(hf=None, tokenizer=tokenizer, prepend_bos=False, chat=True)
    prompt = B.build_prompts(lm, ["Nice."], [("Awful.", "negative")])[0]
    assert prompt.endswith("Text: Nice.<|im_end|>\n<|im_start|>assistant\n")
    assert "Text: Awful.<|im_end|>\n<|im_start|>assistant\nnegative<|im_end|>" in prompt
    assert prompt.count(B.INSTRUCTION) == 2
    label_ids = B.label_token_ids(tokenizer)
    for label, variants in B.LABEL_VARIANTS.items():
        assert len(label_ids[label]) == 4
        assert [tokenizer.decode([i]) for i in label_ids[label]] == list(variants)


# ----------------------------------------------------------------------------- the real model
TEXTS = ["The soup was cold and the waiter rude.", "Best day ever!",
         "I expected little, and the hotel still managed to disappoint me at every turn."]


def _full_pass_logprobs(lm, prompt, ids):
    import torch

    encoded = B.encode_prompts(lm, [prompt])[0]
    with torch.inference_mode():
        logits = lm.hf(torch.tensor([encoded])).logits[0, -1]
    return torch.log_softmax(logits.float(), -1)[ids].numpy()


@pytest.mark.parametrize("shots", [0, 2])
def test_batched_prefix_cached_scoring_equals_full_pass(smol, shots):
    lm = B.as_lm(smol)
    examples = [("Terrible service.", "negative"), ("What a lovely view.", "positive")][:shots]
    prompts = B.build_prompts(lm, TEXTS, examples)
    assert common_prefix_length(B.encode_prompts(lm, prompts)) > 20  # the shared prefix is really cached
    label_ids = B.label_token_ids(lm.tokenizer)
    flat = label_ids["negative"] + label_ids["positive"]
    cached = B.next_token_logprobs(lm, prompts, flat, batch_size=2, share_prefix=True)
    plain = B.next_token_logprobs(lm, prompts, flat, batch_size=3, share_prefix=False)
    for i, prompt in enumerate(prompts):
        full = _full_pass_logprobs(lm, prompt, flat)
        assert cached[i] == pytest.approx(full, abs=2e-4)
        assert plain[i] == pytest.approx(full, abs=2e-4)
    logodds = B.prompt_logodds(lm, TEXTS, examples)
    scores = B.label_scores(cached, [range(4), range(4, 8)])
    assert logodds == pytest.approx(scores[:, 1] - scores[:, 0], abs=1e-6)


def test_prompting_logodds_and_generation(smol):
    lm = B.as_lm(smol)
    result = B.prompting_logodds(lm, TEXTS[:2])
    offset = B.content_free_offset(B.prompt_logodds(lm, list(B.CONTENT_FREE)))
    assert result["offset"] == pytest.approx(offset, abs=1e-6)
    assert result["calibrated"] == pytest.approx(result["raw"] - offset)
    answers = B.generate_answers(lm, B.build_prompts(lm, TEXTS[:2]), max_new_tokens=3, batch_size=2)
    single = B.generate_answers(lm, B.build_prompts(lm, TEXTS[1:2]), max_new_tokens=3)
    assert len(answers) == 2 and all(isinstance(a, str) and a for a in answers)
    assert answers[1] == single[0]  # left padding does not change the greedy answer


def test_prefix_bank_runs_the_common_start_once(smol):
    """Few-shot prompts: the maximal prefixes are the same instruction and examples followed by a
    word or two of the text; ``common_once`` runs that start once and gives the same keys/values."""
    import torch

    from helpers.batching import (distinct_prefixes, lexicographic_order, maximal_prefixes, prefix_bank,
                                  shared_prefix_lengths)

    lm = B.as_lm(smol)
    texts = ["The soup was cold.", "The soup was lovely.", "The view was grand.", "The view was dull.",
             "Best day ever!", "Best meal in years."]
    ids = B.encode_prompts(lm, B.build_prompts(lm, texts, [("Terrible service.", "negative"),
                                                            ("What a lovely view.", "positive")]))
    ids = [ids[i] for i in lexicographic_order(ids)]
    prefixes = distinct_prefixes(ids, shared_prefix_lengths(ids))
    run = maximal_prefixes(prefixes)
    common = common_prefix_length(run)
    assert len(run) >= 3 and common > 40  # several prefixes behind one long instruction-and-examples start
    config = lm.hf.config
    seen = []

    def forward(batch_ids, mask, cache):
        seen.append((tuple(batch_ids.shape), int(mask.shape[1])))
        lm.hf.model(input_ids=batch_ids, attention_mask=mask, past_key_values=cache, use_cache=True)

    kwargs = dict(n_layers=config.num_hidden_layers, batch_size=2, pad=0, device="cpu", config=config)
    whole = prefix_bank(forward, prefixes, **kwargs)
    whole_tokens, seen[:] = sum(b * w for (b, w), _ in seen), []
    once = prefix_bank(forward, prefixes, common_once=True, **kwargs)
    assert seen[0] == ((1, common), common)  # the common start, alone
    assert all(mask_width == common + w for (_, w), mask_width in seen[1:])  # remainders see the start's slots
    once_tokens = sum(b * w for (b, w), _ in seen)
    assert once_tokens < whole_tokens / 2
    assert once["row"] == whole["row"] and once["empty"] == whole["empty"]
    for (k1, v1), (k2, v2) in zip(whole["kv"], once["kv"]):
        for prefix, row in whole["row"].items():
            n = len(prefix)
            assert torch.allclose(k1[row, :, :n], k2[row, :, :n], atol=1e-4)
            assert torch.allclose(v1[row, :, :n], v2[row, :, :n], atol=1e-4)
