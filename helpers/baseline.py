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

Also here: free-generation parsing (``generate_answers`` / ``parse_label``), the bootstrap
interval of an accuracy, stratified folds of the sentence set, few-shot example draws
(from training rows only), and the nested cross-validation of the in-domain probe.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .collect import common_prefix_length
from .runtime import blas_threads
from .stats import bootstrap_ci

LABELS = ("negative", "positive")          # class 0, class 1 (as helpers.probes.AXIS_LABELS["valence"])
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
    """The prompting view of a ``load_model`` bridge (its HF model is used directly)."""
    from .models import model_info

    info = model_info(model)
    return LM(hf=model.original_model, tokenizer=model.tokenizer, prepend_bos=info.prepend_bos,
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
                min_prefix: int = 8):
    """Final-norm hidden state at each sequence's last real token, [n, d].

    Batches are right-padded and sorted by length; the state is read at each row's last real
    token. With ``share_prefix`` the token prefix common to all sequences (instruction, chat
    header, few-shot examples) is run once and its key/value cache reused for every batch,
    which gives the same numbers as running each full sequence (tested) at a fraction of
    the cost.
    """
    import copy

    import torch

    device = next(lm.hf.parameters()).device
    pad = lm.tokenizer.pad_token_id if lm.tokenizer.pad_token_id is not None else 0
    n_prefix = common_prefix_length(ids_list) if share_prefix and len(ids_list) > 1 else 0
    n_prefix = min(n_prefix, min(len(x) for x in ids_list) - 1)  # every row keeps >= 1 token of its own
    if n_prefix < min_prefix:
        n_prefix = 0
    out = [None] * len(ids_list)
    with torch.inference_mode():
        prefix_cache = None
        if n_prefix:
            prefix = torch.tensor([list(ids_list[0][:n_prefix])], device=device)
            prefix_cache = lm.hf.model(input_ids=prefix, use_cache=True).past_key_values
        suffixes = [list(x[n_prefix:]) for x in ids_list]
        for batch in _batches([len(x) for x in suffixes], batch_size):
            length = max(len(suffixes[i]) for i in batch)
            ids = torch.full((len(batch), length), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), n_prefix + length), dtype=torch.long)
            mask[:, :n_prefix] = 1
            for row, i in enumerate(batch):
                ids[row, :len(suffixes[i])] = torch.tensor(suffixes[i])
                mask[row, n_prefix:n_prefix + len(suffixes[i])] = 1
            if prefix_cache is not None:
                cache = copy.deepcopy(prefix_cache)  # batch 1: small; expanded views, materialised once by the update
                for layer_cache in getattr(cache, "layers", []):
                    if getattr(layer_cache, "keys", None) is not None and layer_cache.keys.numel():
                        layer_cache.keys = layer_cache.keys.expand(len(batch), -1, -1, -1)
                        layer_cache.values = layer_cache.values.expand(len(batch), -1, -1, -1)
                positions = torch.arange(n_prefix, n_prefix + length).unsqueeze(0).expand(len(batch), -1)
                kwargs = {"past_key_values": cache, "use_cache": True, "position_ids": positions.to(device)}
            else:
                kwargs = {"use_cache": False}
            hidden = lm.hf.model(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs).last_hidden_state
            last = torch.tensor([len(suffixes[i]) - 1 for i in batch], device=device)
            picked = hidden[torch.arange(len(batch), device=device), last]
            for row, i in enumerate(batch):
                out[i] = picked[row]
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
    pad = lm.tokenizer.pad_token_id if lm.tokenizer.pad_token_id is not None else 0
    eos = lm.tokenizer.eos_token_id
    answers = [""] * len(encoded)
    device = next(lm.hf.parameters()).device
    with torch.inference_mode():
        for batch in _batches([len(x) for x in encoded], batch_size):
            length = max(len(encoded[i]) for i in batch)
            ids = torch.full((len(batch), length), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), length), dtype=torch.long)
            for row, i in enumerate(batch):
                ids[row, length - len(encoded[i]):] = torch.tensor(encoded[i])
                mask[row, length - len(encoded[i]):] = 1
            out = lm.hf.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=pad, eos_token_id=eos,
                                 top_p=None, top_k=None, temperature=None)
            for row, i in enumerate(batch):
                answers[i] = lm.tokenizer.decode(out[row, length:], skip_special_tokens=True)
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


# ----------------------------------------------------------------------------- statistics
def accuracy_summary(pred: Sequence[int], y: Sequence[int], hard: Sequence[bool] | None = None,
                     seed: int = 0, n_boot: int = 2000) -> dict:
    """accuracy, ci_low, ci_high (bootstrap 95%), answered_positive, and accuracy_hard when ``hard`` is given."""
    pred, y = np.asarray(pred), np.asarray(y)
    correct = (pred == y).astype(float)
    low, high = bootstrap_ci(correct, n_boot=n_boot, seed=seed)
    result = {"accuracy": float(correct.mean()), "ci_low": low, "ci_high": high, "n": int(len(y)),
              "answered_positive": float((pred == 1).mean())}
    if hard is not None:
        hard = np.asarray(hard, dtype=bool)
        result["accuracy_hard"] = float(correct[hard].mean()) if hard.any() else math.nan
        result["accuracy_easy"] = float(correct[~hard].mean()) if (~hard).any() else math.nan
    return result


# ----------------------------------------------------------------------------- folds and examples
def stratified_folds(strata: Sequence, n_folds: int = 5, seed: int = 0) -> np.ndarray:
    """Fold id (0..n_folds-1) of each row, every stratum spread evenly over the folds."""
    strata = np.asarray([str(s) for s in strata])
    rng = np.random.default_rng(seed)
    folds = np.empty(len(strata), dtype=np.int64)
    offset = 0
    for stratum in sorted(set(strata)):
        index = np.flatnonzero(strata == stratum)
        index = index[rng.permutation(len(index))]
        folds[index] = (np.arange(len(index)) + offset) % n_folds
        offset += len(index)
    return folds


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


# ----------------------------------------------------------------------------- in-domain probe
def _fit_logreg(X: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500, tol=1e-4)).fit(X, y)


def choose_layer_pooling(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], layers: Sequence[int],
                         folds: int = 3, C: float = 0.1, seed: int = 0) -> tuple[tuple[str, str], int, float]:
    """((hook, pooling), layer, CV accuracy) maximising ``folds``-fold CV accuracy of a logistic probe.

    ``features[(hook, pooling)]`` is [n, len(layers), width] (column j is layer ``layers[j]``), as
    ``helpers.collect.collect_many`` returns; only the rows passed are used. Ties go to the
    earlier layer (fewer layers to run), then to the feature listed first.
    """
    from sklearn.model_selection import StratifiedKFold


    y = np.asarray(y).astype(int)
    split = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    best = None
    with blas_threads(1):
        for j, layer in enumerate(layers):
            for key, X in features.items():
                correct = 0
                for train, val in split:
                    correct += (_fit_logreg(X[train, j], y[train], C).predict(X[val, j]) == y[val]).sum()
                score = correct / len(y)
                if best is None or score > best[2] + 1e-12:
                    best = (key, int(layer), float(score))
    return best


def in_domain_probe_cv(features: dict[str, np.ndarray], y: Sequence[int], folds: Sequence[int],
                       layers: Sequence[int], *, inner_folds: int = 3, C_select: float = 0.1,
                       seed: int = 0, axis: str = "valence", model_name: str = "") -> dict:
    """Nested cross-validation of a probe trained on the sentence set itself.

    For each outer fold: choose (hook, pooling, layer) by inner CV on the other folds only, train
    a logistic probe there (``helpers.probes.train_probe``, C by CV), and predict the held-out
    fold. ``features`` as in ``choose_layer_pooling``. Returns out-of-fold ``decision`` [n],
    ``pred`` [n] and the per-fold choices.
    """
    from .probes import train_probe

    y = np.asarray(y).astype(int)
    folds = np.asarray(folds)
    decision = np.zeros(len(y))
    choices = []
    for fold in sorted(set(folds.tolist())):
        test, train = folds == fold, folds != fold
        key, layer, score = choose_layer_pooling({k: X[train] for k, X in features.items()}, y[train], layers,
                                                 folds=inner_folds, C=C_select, seed=seed)
        j = list(layers).index(layer)
        hook, pooling = key
        probe = train_probe(features[key][train, j], y[train], axis=axis, hook=hook, pooling=pooling,
                            layer=layer, model_name=model_name, seed=seed)
        decision[test] = probe.decision_function(features[key][test, j])
        choices.append({"fold": int(fold), "hook": hook, "pooling": pooling, "layer": layer,
                        "inner_cv_accuracy": score, "C": probe.metrics.get("C")})
    return {"decision": decision, "pred": (decision > 0).astype(int), "choices": choices}


# ----------------------------------------------------------------------------- transfer probe
def stratified_sample(df, n: int | None, by: Sequence[str], seed: int = 0):
    """``n`` rows of ``df`` (all when None or n >= len) with the shares of the ``by`` cells kept."""
    if n is None or n >= len(df):
        return df
    keys = df[list(by)].astype(str).agg("|".join, axis=1)
    rng = np.random.default_rng(seed)
    shares = keys.value_counts(sort=False)
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(int)
    for key in (exact - counts).sort_values(ascending=False, kind="stable").index[: n - counts.sum()]:
        counts[key] += 1
    keep = []
    for key, count in counts.items():
        index = np.flatnonzero(keys.to_numpy() == key)
        keep.extend(index[rng.permutation(len(index))[:count]])
    return df.iloc[sorted(keep)]


def transfer_validation_masks(df_train, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validate) masks inside the templated TRAIN rows: ``helpers.data.splits`` applied again,
    validation = rows whose adjective or template is held out (its E1, E2 and E4)."""
    from .data import splits

    inner = splits(df_train.reset_index(drop=True), seed=seed)
    return inner["train"], inner["E1"] | inner["E2"] | inner["E4"]


def select_transfer_config(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], fit: np.ndarray,
                           validate: np.ndarray, layers: Sequence[int], C: float = 0.01,
                           report: dict[str, tuple[dict, Sequence[int]]] | None = None):
    """Validation accuracy of a logistic probe for every (hook, pooling, layer), fitted on ``fit`` rows.

    ``features[(hook, pooling)]`` is [n, len(layers), width]. Returns ((hook, pooling), layer,
    table) with the best validation accuracy (ties: earlier layer, then the feature listed
    first). Only templated rows enter the choice. ``report`` = {column: (features like
    ``features``, labels)} adds, for information only, each probe's accuracy on other data (e.g.
    the sentence set) as extra table columns; it never affects the choice.
    """
    import pandas as pd


    y = np.asarray(y).astype(int)
    rows = []
    with blas_threads(1):
        for j, layer in enumerate(layers):
            for key, X in features.items():
                model = _fit_logreg(X[fit, j], y[fit], C)
                row = {"hook": key[0], "pooling": key[1], "layer": int(layer),
                       "validation_accuracy": float((model.predict(X[validate, j]) == y[validate]).mean())}
                for column, (other, other_y) in (report or {}).items():
                    row[column] = float((model.predict(other[key][:, j]) == np.asarray(other_y)).mean())
                rows.append(row)
    table = pd.DataFrame(rows)
    key, layer = best_transfer_config(table)
    return key, layer, table


def best_transfer_config(table, hook: str | None = None) -> tuple[tuple[str, str], int]:
    """((hook, pooling), layer) of the row of ``select_transfer_config``'s table with the best
    validation accuracy. Rows are in layer order, then in the order features were given, and the
    first of tied rows wins (the earlier layer: fewer layers to run). ``hook``: choose among that
    hook's rows only, i.e. what the choice would be with one hook."""
    best = None
    for row in table.itertuples():
        if hook is not None and row.hook != hook:
            continue
        if best is None or row.validation_accuracy > best.validation_accuracy + 1e-12:
            best = row
    if best is None:
        raise ValueError(f"No rows for hook {hook!r}; the table has hooks {sorted(set(table['hook']))}.")
    return (best.hook, best.pooling), int(best.layer)


def choose_C_on_validation(X: np.ndarray, y: Sequence[int], fit: np.ndarray, validate: np.ndarray,
                           Cs: Sequence[float] | None = None) -> tuple[float, dict]:
    """The logistic C with the best accuracy on ``validate`` rows when fitted on ``fit`` rows
    (ties: the smaller C, i.e. stronger regularisation); also {C: accuracy}."""
    from .probes import C_GRID

    y = np.asarray(y).astype(int)
    scores = {}
    with blas_threads(1):
        for C in sorted(Cs or C_GRID):
            scores[float(C)] = float((_fit_logreg(X[fit], y[fit], C).predict(X[validate]) == y[validate]).mean())
    best = max(scores, key=lambda C: (scores[C], -C))
    return best, scores


def fit_transfer_probe(features: dict[tuple[str, str], np.ndarray], y: Sequence[int], fit: np.ndarray,
                       validate: np.ndarray, key: tuple[str, str], layer: int, *, model_name: str = "",
                       seed: int = 0):
    """The transfer probe at ((hook, pooling) = ``key``, ``layer``): C chosen on the templated validation
    rows (``choose_C_on_validation``), then a logistic probe on all rows. ``features[key]`` holds every
    layer from 0 (column j is layer j). Returns (probe, {C: validation accuracy})."""
    from .probes import train_probe

    hook, pooling = key
    X = features[key][:, layer]
    C, scores = choose_C_on_validation(X, y, fit, validate)
    probe = train_probe(X, np.asarray(y).astype(int), axis="valence", hook=hook, pooling=pooling, layer=layer,
                        model_name=model_name, seed=seed, C=C)
    return probe, scores


def transfer_figure(table, chosen: tuple[tuple[str, str], int], model_name: str):
    """Validation accuracy (templated, used for the choice) and sentence accuracy (information) per layer,
    one line per (hook, pooling); ``chosen`` = ((hook, pooling), layer)."""
    import plotly.colors
    import plotly.graph_objects as go

    fig = go.Figure()
    dashes = {"validation_accuracy": "solid", "sentence_accuracy": "dot"}
    names = {"validation_accuracy": "templated validation (chooses)", "sentence_accuracy": "sentences (not used)"}
    palette = plotly.colors.qualitative.Plotly  # one colour per (hook, pooling): solid chooses, dotted informs
    for column in [c for c in ("validation_accuracy", "sentence_accuracy") if c in table.columns]:
        for i, ((hook, pooling), part) in enumerate(table.groupby(["hook", "pooling"], sort=False)):
            fig.add_scatter(x=part["layer"], y=part[column], mode="lines+markers",
                            line=dict(dash=dashes[column], color=palette[i % len(palette)]),
                            name=f"{hook}, {pooling} pooling, {names[column]}",
                            hovertemplate=f"layer %{{x}}, {hook}, {pooling}: %{{y:.3f}}<extra>{names[column]}</extra>")
    (hook, pooling), layer = chosen
    fig.add_vline(x=layer, line_dash="dash", annotation_text=f"chosen: {hook}, {pooling} pooling, layer {layer}")
    fig.update_xaxes(title_text="layer", range=[table["layer"].min() - 0.5, table["layer"].max() + 0.5])
    fig.update_yaxes(title_text="accuracy", range=[0.4, 1.0])
    fig.update_layout(title=f"{model_name}: the transfer probe's hook, pooling and layer are chosen on templated prompts only",
                      height=620, legend=dict(orientation="h", y=-0.18))
    return fig


# ----------------------------------------------------------------------------- results
METHODS = ("zero_shot", "zero_shot_calibrated", "few_shot", "few_shot_calibrated", "probe_transfer", "probe_in_domain")
PROMPTING = METHODS[:4]
PROBES = METHODS[4:]


def method_result(pred: Sequence[int], y: Sequence[int], hard: Sequence[bool], pred_e4: Sequence[int] | None,
                  y_e4: Sequence[int] | None, measurement: dict | None, seed: int = 0,
                  calibrated: bool = False) -> dict:
    """One row of results.json: accuracy with its bootstrap CI (sentences), accuracy_hard,
    accuracy_E4, and the cost measured in a fresh process (seconds_per_100, param_bytes, peak_rss_mb).
    ``calibrated``: add the content-free passes (``calibration_seconds``) to the time."""
    result = accuracy_summary(pred, y, hard, seed=seed)
    if pred_e4 is not None and y_e4 is not None and len(y_e4):
        result["accuracy_E4"] = float((np.asarray(pred_e4) == np.asarray(y_e4)).mean())
        result["n_E4"] = int(len(y_e4))
    else:
        result["accuracy_E4"] = math.nan
    m = dict(measurement or {})
    if calibrated and "calibration_seconds" in m:  # the content-free passes, once per prompt format
        m["seconds_per_100"] = m["seconds_per_100"] + 100 * m["calibration_seconds"] / max(1, m.get("n_texts", 1))
    for key in ("seconds_per_100", "param_bytes", "peak_rss_mb", "rss_after_imports_mb", "rss_after_load_mb",
                "load_seconds"):
        result[key] = m.get(key, math.nan)
    return result


def best_prompting(methods: dict) -> str:
    """The prompting variant with the highest sentence accuracy (first listed on ties)."""
    return max(PROMPTING, key=lambda name: (methods[name]["accuracy"], -PROMPTING.index(name)))


def comparison_table(methods: dict):
    import pandas as pd

    columns = ["accuracy", "ci_low", "ci_high", "accuracy_hard", "accuracy_E4", "answered_positive",
               "seconds_per_100", "param_bytes", "peak_rss_mb"]
    table = pd.DataFrame({name: {c: methods[name].get(c) for c in columns} for name in methods}).T
    table["param_MB"] = table.pop("param_bytes").astype(float) / 1e6
    return table


def comparison_figure(methods: dict, model_name: str):
    """Three panels: sentence accuracy (95% CI), parameter MB and peak RSS, seconds per 100 texts."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    names = list(methods)
    colors = ["#9ecae1" if n in PROMPTING else "#e6550d" for n in names]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("accuracy on sentences (95% CI)",
                                                        "memory (MB)", "time per 100 texts (s)"))
    acc = [methods[n]["accuracy"] for n in names]
    fig.add_bar(x=names, y=acc, marker_color=colors, name="accuracy", showlegend=False,
                error_y=dict(type="data", symmetric=False,
                             array=[methods[n]["ci_high"] - methods[n]["accuracy"] for n in names],
                             arrayminus=[methods[n]["accuracy"] - methods[n]["ci_low"] for n in names]),
                hovertemplate="%{x}: %{y:.3f}<extra></extra>", row=1, col=1)
    fig.add_bar(x=names, y=[methods[n]["param_bytes"] / 1e6 for n in names], name="parameter MB touched",
                marker_color="#636363", hovertemplate="%{x}: %{y:.0f} MB of parameters<extra></extra>", row=1, col=2)
    fig.add_bar(x=names, y=[methods[n]["peak_rss_mb"] for n in names], name="peak RSS MB (fresh process)",
                marker_color="#bdbdbd", hovertemplate="%{x}: peak RSS %{y:.0f} MB<extra></extra>", row=1, col=2)
    fig.add_bar(x=names, y=[methods[n]["seconds_per_100"] for n in names], marker_color=colors, showlegend=False,
                name="seconds per 100", hovertemplate="%{x}: %{y:.1f} s<extra></extra>", row=1, col=3)
    fig.add_hline(y=0.5, line_dash="dot", annotation_text="chance", annotation_position="bottom left", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="MB", row=1, col=2)
    fig.update_yaxes(title_text="seconds per 100 texts", row=1, col=3)
    fig.update_xaxes(title_text="method", tickangle=35)
    best = best_prompting(methods)
    fig.update_layout(barmode="group", height=560, margin=dict(t=110), legend=dict(orientation="h", y=-0.45),
                      title=f"{model_name}: probes {methods['probe_in_domain']['accuracy']:.2f} (in-domain) and "
                            f"{methods['probe_transfer']['accuracy']:.2f} (transfer) vs best prompting "
                            f"{methods[best]['accuracy']:.2f} ({best}),<br>with fewer parameters touched and less time")
    return fig


def scaling_figure(table: Sequence[dict], measured: dict | None = None):
    """Probe memory saving vs model size, one marker per model and probe depth (25/50/75% of the layers)."""
    import plotly.graph_objects as go

    rows = sorted(table, key=lambda r: r["params_total"])
    fig = go.Figure()
    for key, label, symbol in (("saving_at_25", "probe at 25% depth", "triangle-down"),
                               ("saving_at_50", "probe at 50% depth", "circle"),
                               ("saving_at_75", "probe at 75% depth", "triangle-up")):
        fig.add_scatter(x=[r["params_total"] / 1e9 for r in rows], y=[r[key] for r in rows],
                        mode="markers+text" if key == "saving_at_50" else "markers", marker=dict(symbol=symbol, size=10),
                        name=label, text=[r["model"] for r in rows],
                        textposition=["bottom center" if i % 2 == 0 else "top center" for i in range(len(rows))],
                        textfont=dict(size=9),
                        customdata=[[r["embedding_share"], r["n_layers"], r["d_model"], "tied" if r["tied"] else "untied"]
                                    for r in rows],
                        hovertemplate="%{text}: saving %{y:.0%}<br>embedding share %{customdata[0]:.0%}, "
                                      "%{customdata[1]} layers, d_model %{customdata[2]}, %{customdata[3]} "
                                      "unembedding<extra>" + label + "</extra>")
    if measured:
        fig.add_scatter(x=[measured["params_total"] / 1e9], y=[measured["saving"]], mode="markers",
                        marker=dict(symbol="star", size=16, color="black"), name=f"measured: {measured['model']}",
                        hovertemplate=f"{measured['model']}: measured saving %{{y:.0%}}<extra></extra>")
    fig.add_hline(y=0.57, line_dash="dot", annotation_text="paper: 57%")
    fig.update_xaxes(type="log", title_text="model parameters (billions, log scale)")
    fig.update_yaxes(title_text="parameter memory saved by the probe", tickformat=".0%", range=[0, 1])
    fig.update_layout(title="The saving grows with size while the embedding's share falls; "
                            "past ~7B a mid-depth probe saves half", height=520)
    return fig


def logodds_figure(frames: dict, y: Sequence[int], texts: Sequence[str]):
    """Strip plot of each prompting variant's log-odds by true label: a biased prompt sits on one side of 0."""
    import pandas as pd
    import plotly.express as px

    rows = []
    for name, values in frames.items():
        rows.append(pd.DataFrame({"variant": name, "log-odds": values, "true label": np.asarray(LABELS)[np.asarray(y)],
                                  "text": list(texts)}))
    data = pd.concat(rows, ignore_index=True)
    fig = px.strip(data, x="variant", y="log-odds", color="true label", hover_data=["text"],
                   labels={"log-odds": "log p(positive) - log p(negative) at the answer", "variant": "prompt"},
                   title="Uncalibrated prompts lean to one label; calibration moves the threshold, not the overlap")
    fig.add_hline(y=0, line_dash="dot")
    return fig
