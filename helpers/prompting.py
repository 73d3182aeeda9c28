"""Prompting baseline: ask the model itself for the polarity of a text, and score it fairly.

The question is asked zero-shot or with ``k`` labelled examples (few-shot), through the chat
template of an instruct model or as plain text for a base model. The answer is read from
ONE forward pass: the next-token log-probabilities of the label words at the answer
position (``"positive"`` / ``"negative"`` with their capitalised and leading-space
variants, pooled by log-sum-exp), so every text gets an answer. The log-odds
``score(positive) - score(negative)`` > 0 means "positive".

Contextual calibration (Zhao et al., 2021) removes the prompt's own bias: the same prompt
is filled with content-free inputs ("N/A", "", "[MASK]"), their label probabilities
(renormalised over the two labels) are averaged, and that average's log-odds is
subtracted from every text's log-odds.

    >>> lm = as_lm(model)                                   # a load_model() bridge
    >>> lo = prompt_logodds(lm, ["What a lovely day!"])      # zero-shot log-odds
    >>> offset = content_free_offset(prompt_logodds(lm, CONTENT_FREE))
    >>> np.where(lo - offset > 0, "positive", "negative")

Also here: free-generation parsing (``generate_answers`` / ``parse_label``) and few-shot
example draws (from training rows only). The comparison with the probes is ``helpers.comparison``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .batching import (bank_rows, cache_for, distinct_prefixes, lexicographic_order, pad_id, pad_rows, prefix_bank,
                       rest_batch, shared_prefix_lengths)
from .data import LABELS as DATA_LABELS

LABELS = DATA_LABELS["valence"]          # class 0, class 1
LABEL_VARIANTS = {label: (label, label.capitalize(), " " + label, " " + label.capitalize()) for label in LABELS}
CONTENT_FREE = ("N/A", "", "[MASK]")
INSTRUCTION = "Is the sentiment of the following text positive or negative? Answer with one word: positive or negative."
PLAIN_HEADER = "Classify the sentiment of each text as positive or negative."


# ----------------------------------------------------------------------------- the model
@dataclass
class LM:
    """What prompting needs: the HF causal LM, its tokenizer, BOS and chat-template flags."""

    hf: Any
    tokenizer: Any
    prepend_bos: bool
    chat: bool
    name: str = ""


def as_lm(model) -> LM:
    """The prompting view of a ``load_model`` model, either backend (its HF model is used directly)."""
    from .models import hf_module, model_info

    info = model_info(model)
    return LM(hf=hf_module(model), tokenizer=model.tokenizer, prepend_bos=info.prepend_bos,
              chat=info.chat, name=info.name)


# ----------------------------------------------------------------------------- prompts
def build_prompt(text: str, examples: Sequence[tuple[str, str]] = (), *, chat: bool, tokenizer=None) -> str:
    """The prompt string asking for the polarity of ``text`` after ``examples`` [(text, label)].

    chat=True: one user turn per text (instruction + text), examples answered by assistant
    turns, rendered with the tokenizer's chat template and ending at the assistant's answer.
    chat=False (base model): a plain "Text: ...\\nSentiment: label" list ending in "Sentiment:".
    """
    if chat:
        if tokenizer is None or getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("chat=True needs a tokenizer with a chat template; use chat=False for base models.")
        messages = []
        for example, label in examples:
            messages += [{"role": "user", "content": f"{INSTRUCTION}\n\nText: {example}"},
                         {"role": "assistant", "content": label}]
        messages.append({"role": "user", "content": f"{INSTRUCTION}\n\nText: {text}"})
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    shots = "".join(f"Text: {example}\nSentiment: {label}\n\n" for example, label in examples)
    return f"{PLAIN_HEADER}\n\n{shots}Text: {text}\nSentiment:"


def build_prompts(lm: LM, texts: Sequence[str], examples: Sequence[tuple[str, str]] = ()) -> list[str]:
    return [build_prompt(t, examples, chat=lm.chat, tokenizer=lm.tokenizer) for t in texts]


def encode_prompts(lm: LM, prompts: Sequence[str]) -> list[list[int]]:
    """Token ids of rendered prompts; BOS prepended when the model wants it and the text lacks it."""
    tokenizer = lm.tokenizer
    batch = tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
    bos = tokenizer.bos_token_id
    out = []
    for ids in batch:
        ids = list(ids)
        if lm.prepend_bos and bos is not None and (not ids or ids[0] != bos):
            ids = [bos] + ids
        if not ids:
            raise ValueError("A prompt has no tokens.")
        out.append(ids)
    return out


def label_token_ids(tokenizer) -> dict[str, list[int]]:
    """First token id of each label variant (deduplicated), per label."""
    result = {}
    for label, variants in LABEL_VARIANTS.items():
        ids = []
        for variant in variants:
            tokens = tokenizer(variant, add_special_tokens=False)["input_ids"]
            if tokens and tokens[0] not in ids:
                ids.append(tokens[0])
        result[label] = ids
    first = set(result[LABELS[0]]) & set(result[LABELS[1]])
    if first:
        raise ValueError(f"The label words share first tokens {sorted(first)}; scoring would be ambiguous.")
    return result


# ----------------------------------------------------------------------------- scoring
def _batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def last_hidden(lm: LM, ids_list: Sequence[Sequence[int]], batch_size: int = 16, share_prefix: bool = True,
                chunk: int = 256):
    """Final-norm hidden state at each sequence's last token, [n, d].

    The prompts of one format share long token prefixes (chat header, instruction, few-shot
    examples): with ``share_prefix`` each distinct shared prefix runs once and every prompt's
    rest runs against its keys/values (``helpers.batching``, the machinery ``collect`` uses),
    which gives the same numbers as running each full sequence (tested). ``chunk`` prompts at
    a time bound the memory of the prefix bank. Works on any HF causal LM (also the partial
    model of ``helpers.memory``'s fresh-process measurement).
    """
    import torch

    device = next(lm.hf.parameters()).device
    base, config = lm.hf.model, lm.hf.config
    pad = pad_id(lm.tokenizer)
    out = [None] * len(ids_list)

    def forward(ids, mask, cache):
        base(input_ids=ids, attention_mask=mask, past_key_values=cache, use_cache=True)

    order = lexicographic_order(ids_list)
    with torch.inference_mode():
        for start in range(0, len(order), chunk):
            index = order[start:start + chunk]
            part = [list(ids_list[i]) for i in index]
            prefix_len = shared_prefix_lengths(part) if share_prefix else [0] * len(part)
            bank = prefix_bank(forward, distinct_prefixes(part, prefix_len), n_layers=config.num_hidden_layers,
                               batch_size=batch_size, pad=pad, device=device, config=config, common_once=True)
            plan = sorted(range(len(part)), key=lambda j: (len(part[j]) - prefix_len[j], j))
            for begin in range(0, len(plan), batch_size):
                rows = plan[begin:begin + batch_size]
                rest = rest_batch([part[j] for j in rows], [prefix_len[j] for j in rows], pad)
                kwargs: dict = {"use_cache": False}
                if rest.cached:
                    prefix_rows = bank_rows(bank, [part[j][:prefix_len[j]] for j in rows], device)
                    kwargs = {"use_cache": True, "past_key_values": cache_for(bank, prefix_rows, rest.cached, config)}
                hidden = base(input_ids=rest.ids.to(device), attention_mask=rest.mask.to(device),
                              position_ids=rest.positions.to(device), **kwargs).last_hidden_state
                last = torch.tensor([len(part[j]) - prefix_len[j] - 1 for j in rows], device=device)
                picked = hidden[torch.arange(len(rows), device=device), last]
                for row, j in enumerate(rows):
                    out[index[j]] = picked[row]
    return torch.stack(out)


def next_token_logprobs(lm: LM, prompts: Sequence[str], token_ids: Sequence[int], batch_size: int = 16,
                        share_prefix: bool = True) -> np.ndarray:
    """log p(token | prompt) for each prompt and each of ``token_ids``: [n, len(token_ids)].

    One forward pass per prompt (its shared prefix run once, see ``last_hidden``); the
    unembedding is applied only at the last real token.
    """
    import torch

    hidden = last_hidden(lm, encode_prompts(lm, prompts), batch_size, share_prefix=share_prefix)
    with torch.inference_mode():
        logits = lm.hf.lm_head(hidden).float()
        cap = getattr(lm.hf.config, "final_logit_softcapping", None)
        if cap:
            logits = torch.tanh(logits / cap) * cap
        logprobs = torch.log_softmax(logits, dim=-1)
    return logprobs[:, list(token_ids)].cpu().numpy().astype(np.float64)


def label_scores(logprobs: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Log-sum-exp of the columns in each group: [n, len(groups)] (columns index ``logprobs``)."""
    from scipy.special import logsumexp

    logprobs = np.asarray(logprobs, dtype=np.float64)
    return np.stack([logsumexp(logprobs[:, list(g)], axis=1) for g in groups], axis=1)


def prompt_label_scores(lm: LM, texts: Sequence[str], examples: Sequence[tuple[str, str]] = (),
                        batch_size: int = 16) -> np.ndarray:
    """Label scores [n, 2] (negative, positive): log p summed over each label's variants."""
    ids = label_token_ids(lm.tokenizer)
    flat = ids[LABELS[0]] + ids[LABELS[1]]
    logprobs = next_token_logprobs(lm, build_prompts(lm, texts, examples), flat, batch_size)
    n0 = len(ids[LABELS[0]])
    return label_scores(logprobs, [range(n0), range(n0, len(flat))])


def prompt_logodds(lm: LM, texts: Sequence[str], examples: Sequence[tuple[str, str]] = (),
                   batch_size: int = 16) -> np.ndarray:
    """log-odds positive vs negative of each text: > 0 means the model answers "positive"."""
    scores = prompt_label_scores(lm, texts, examples, batch_size)
    return scores[:, 1] - scores[:, 0]


# ----------------------------------------------------------------------------- calibration
def content_free_offset(logodds_cf: Sequence[float]) -> float:
    """Log-odds of the content-free inputs' mean label distribution (Zhao et al., 2021).

    Each content-free log-odds ``l`` gives the two-label distribution (1 - s(l), s(l)) with
    s the logistic function; the distributions are averaged, and the offset is
    log(mean p_positive) - log(mean p_negative).
    """
    lo = np.asarray(logodds_cf, dtype=np.float64).ravel()
    if lo.size == 0:
        raise ValueError("content_free_offset needs at least one content-free log-odds.")
    # log s(l) = -log(1 + e^-l), log(1 - s(l)) = -log(1 + e^l), averaged in log space (stable)
    from scipy.special import logsumexp

    log_pos = logsumexp(-np.logaddexp(0.0, -lo)) - math.log(lo.size)
    log_neg = logsumexp(-np.logaddexp(0.0, lo)) - math.log(lo.size)
    return float(log_pos - log_neg)


def calibrate(logodds: Sequence[float], offset: float) -> np.ndarray:
    """Contextually calibrated log-odds: the content-free offset subtracted."""
    return np.asarray(logodds, dtype=np.float64) - float(offset)


def calibration_offset(lm: LM, examples: Sequence[tuple[str, str]] = (), batch_size: int = 16,
                       content_free: Sequence[str] = CONTENT_FREE) -> float:
    """The content-free offset of this prompt format (same instruction and examples)."""
    return content_free_offset(prompt_logodds(lm, list(content_free), examples, batch_size))


def predict_labels(logodds: Sequence[float]) -> np.ndarray:
    """0/1 predictions (1 = positive) from log-odds; a tie (0) counts as negative."""
    return (np.asarray(logodds) > 0).astype(np.int64)


# ----------------------------------------------------------------------------- generation
_WORD = re.compile(r"[a-z]+")


def parse_label(answer: str) -> str | None:
    """The label a free-form answer gives: exactly one of "positive"/"negative" among the words
    of its first non-empty line, else None."""
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    words = set(_WORD.findall(lines[0].lower())) if lines else set()
    found = [label for label in LABELS if label in words]
    return found[0] if len(found) == 1 else None


def generate_answers(lm: LM, prompts: Sequence[str], max_new_tokens: int = 10, batch_size: int = 16) -> list[str]:
    """Greedy continuations (decoded, special tokens dropped) of each prompt; left-padded batches."""
    import torch

    encoded = encode_prompts(lm, prompts)
    pad = pad_id(lm.tokenizer)
    eos = lm.tokenizer.eos_token_id
    answers = [""] * len(encoded)
    device = next(lm.hf.parameters()).device
    with torch.inference_mode():
        for batch in _batches([len(x) for x in encoded], batch_size):
            ids, mask = pad_rows([encoded[i] for i in batch], pad, side="left")
            out = lm.hf.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=pad, eos_token_id=eos,
                                 top_p=None, top_k=None, temperature=None)
            for row, i in enumerate(batch):
                answers[i] = lm.tokenizer.decode(out[row, ids.shape[1]:], skip_special_tokens=True)
    return answers


def parse_rate(answers: Sequence[str], y: Sequence[int] | None = None) -> dict:
    """Share of answers that parse to a label, and (with ``y``) the accuracy among parsed ones."""
    parsed = [parse_label(a) for a in answers]
    ok = np.array([p is not None for p in parsed])
    result = {"n": int(len(parsed)), "parse_rate": float(ok.mean()) if len(parsed) else math.nan,
              "answered_positive": float(np.mean([p == "positive" for p in parsed])) if len(parsed) else math.nan}
    if y is not None:
        y = np.asarray(y)
        pred = np.array([LABELS.index(p) if p is not None else -1 for p in parsed])
        result["accuracy_parsed"] = float((pred[ok] == y[ok]).mean()) if ok.any() else math.nan
        result["accuracy_unparsed_as_wrong"] = float((pred == y).mean()) if len(y) else math.nan
    return result


# ----------------------------------------------------------------------------- few-shot examples


def draw_examples(texts: Sequence[str], y: Sequence[int], k: int, seed: int = 0) -> list[tuple[str, str]]:
    """``k`` labelled examples (balanced: k//2 of each label, one more positive if odd), shuffled.

    Only pass training rows: the examples must never come from the rows being evaluated.
    """
    texts, y = np.asarray(list(texts), dtype=object), np.asarray(y).astype(int)
    if k == 0:
        return []
    rng = np.random.default_rng(seed)
    need = {1: k - k // 2, 0: k // 2}
    chosen = []
    for label, count in need.items():
        index = np.flatnonzero(y == label)
        if len(index) < count:
            raise ValueError(f"Only {len(index)} training rows with label {LABELS[label]}; need {count}.")
        chosen.extend(index[rng.permutation(len(index))[:count]])
    chosen = np.asarray(chosen)[rng.permutation(len(chosen))]
    return [(str(texts[i]), LABELS[int(y[i])]) for i in chosen]


# ----------------------------------------------------------------------------- prompting evaluation
def prompting_logodds(lm: LM, texts: Sequence[str], *, examples: Sequence[tuple[str, str]] = (),
                      batch_size: int = 16) -> dict:
    """Raw and calibrated log-odds of ``texts`` under one prompt format, with its offset."""
    raw = prompt_logodds(lm, texts, examples, batch_size)
    offset = calibration_offset(lm, examples, batch_size)
    return {"raw": raw, "calibrated": calibrate(raw, offset), "offset": offset}


def few_shot_by_fold(lm: LM, texts: Sequence[str], y: Sequence[int], folds: Sequence[int], k: int,
                     seed: int = 0, batch_size: int = 16) -> dict:
    """Few-shot log-odds of every text, its ``k`` examples drawn from the OTHER folds.

    Returns {"raw": [n], "calibrated": [n], "offsets": {fold: offset}, "examples": {fold: [...]}}.
    """
    texts = list(texts)
    y, folds = np.asarray(y), np.asarray(folds)
    raw = np.zeros(len(texts))
    calibrated = np.zeros(len(texts))
    offsets, examples_by_fold = {}, {}
    for fold in sorted(set(folds.tolist())):
        test = np.flatnonzero(folds == fold)
        train = np.flatnonzero(folds != fold)
        examples = draw_examples([texts[i] for i in train], y[train], k, seed=seed * 1000 + fold)
        part = prompting_logodds(lm, [texts[i] for i in test], examples=examples, batch_size=batch_size)
        raw[test], calibrated[test] = part["raw"], part["calibrated"]
        offsets[int(fold)], examples_by_fold[int(fold)] = part["offset"], examples
    return {"raw": raw, "calibrated": calibrated, "offsets": offsets, "examples": examples_by_fold}
