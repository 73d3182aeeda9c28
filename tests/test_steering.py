"""helpers.steering on the real model (small: a handful of short generations)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.steering import (Job, ablate, generate, generate_many, steer, steering_add, steering_vectors)

PROMPTS = ["I walked into the kitchen and", "The letter on the table said", "After lunch, we went to",
           "She picked up the phone and", "On the way home, I noticed", "The meeting started at nine, and",
           "I turned on the radio and", "We sat down at the table and"]
LAYER = 21  # 70% depth: the last token carries valence here (at 12 it does not yet)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine two threads spin against other jobs (3-10x slower)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def valence(smol):
    """A mean-difference valence probe at LAYER from 240 affirmative dataset prompts (cached activations)."""
    from helpers import collect
    from helpers.data import load_prompts
    from helpers.probes import train_probe

    df = load_prompts(axis="valence")
    df = df[~df["negation"]].sample(n=240, random_state=0)
    X = collect(smol, df["prompt"].tolist(), layers=[LAYER])[:, 0, :]
    return train_probe(X, df["y"].to_numpy(), axis="valence", kind="mean_diff", hook="resid_post",
                       pooling="last", layer=LAYER, model_name="smollm2-135m")


def _hook_count(model) -> int:
    return sum(len(hp._forward_hooks) for hp in model.hook_dict.values())


def test_hooks_are_removed_after_the_block_and_after_an_exception(smol, valence):
    before = _hook_count(smol)
    plain = generate(smol, PROMPTS[0], max_new_tokens=12, seed=0)
    with steer(smol, valence, alpha=8.0) as handle:
        steered = generate(smol, PROMPTS[0], max_new_tokens=12, seed=0)
        assert handle.active and handle.hook_names == [f"blocks.{LAYER}.hook_resid_post"]
    assert steered != plain, "alpha 8 must change the continuation (else this test proves nothing)"
    assert _hook_count(smol) == before
    assert generate(smol, PROMPTS[0], max_new_tokens=12, seed=0) == plain

    with pytest.raises(RuntimeError, match="boom"):
        with steer(smol, valence, alpha=8.0):
            generate(smol, PROMPTS[0], max_new_tokens=3, seed=0)
            raise RuntimeError("boom")
    assert _hook_count(smol) == before
    assert generate(smol, PROMPTS[0], max_new_tokens=12, seed=0) == plain

    with steer(smol, valence, alpha=8.0) as handle:
        handle.remove()   # early removal, then the exit is a no-op
        assert not handle.active
        assert generate(smol, PROMPTS[0], max_new_tokens=12, seed=0) == plain


def test_alpha_zero_changes_nothing_but_the_hook_still_fires(smol, valence):
    plain = generate(smol, PROMPTS[:3], max_new_tokens=12, seed=[0, 1, 2])
    with steer(smol, [valence, valence], alpha=[0.0, 0.0]) as handle:
        zero = generate(smol, PROMPTS[:3], max_new_tokens=12, seed=[0, 1, 2])
    assert zero == plain
    assert handle.calls > 0


def test_hook_fires_on_every_cached_token_and_positions(smol, valence):
    n = 6
    with steer(smol, valence, alpha=1.0) as handle:
        generate(smol, PROMPTS[0], max_new_tokens=n, seed=0, stop_at_eos=False)
    assert handle.calls == n          # the prompt pass plus one pass per further token
    with steer(smol, valence, alpha=1.0, positions="prompt") as handle:
        generate(smol, PROMPTS[0], max_new_tokens=n, seed=0, stop_at_eos=False)
    assert handle.calls == 1
    plain = generate(smol, PROMPTS[0], max_new_tokens=n, seed=0, temperature=0)
    for positions in ("prompt", "new"):
        with steer(smol, valence, alpha=10.0, positions=positions):
            assert generate(smol, PROMPTS[0], max_new_tokens=n, seed=0, temperature=0) != plain


def test_seed_determinism_and_batching_do_not_change_a_row(smol, valence):
    alone = [generate(smol, p, max_new_tokens=10, seed=3) for p in PROMPTS[:3]]
    assert generate(smol, PROMPTS[:3], max_new_tokens=10, seed=3, batch_size=3) == alone
    assert generate(smol, PROMPTS[0], max_new_tokens=10, seed=4) != alone[0]
    # per-row steering vectors in one batch == one steer() block per vector
    vectors = {a: steering_add(steering_vectors(smol, valence, None, a)) for a in (-4.0, 4.0)}
    jobs = [Job(p, 3, vectors[a]) for a in (-4.0, 4.0) for p in PROMPTS[:2]]
    batched = generate_many(smol, jobs, max_new_tokens=10, batch_size=4)
    one_by_one = []
    for a in (-4.0, 4.0):
        with steer(smol, valence, alpha=a):
            one_by_one += generate(smol, PROMPTS[:2], max_new_tokens=10, seed=3)
    assert batched == one_by_one


def test_raw_vector_needs_a_layer_and_is_scaled(smol, valence):
    with pytest.raises(ValueError, match="layer"):
        with steer(smol, np.ones(576), alpha=1.0):
            pass
    with pytest.raises(ValueError, match="width"):
        with steer(smol, np.ones(10), layer=3, alpha=1.0):
            pass
    [vec] = steering_vectors(smol, 3 * valence.direction, LAYER, 2.0, scale=valence.projection_std)
    assert np.allclose(vec.vector, 2.0 * valence.projection_std * valence.direction, atol=1e-5)
    [unit] = steering_vectors(smol, 3 * valence.direction, LAYER, 2.0)   # no scale: unit norm, raw units
    assert np.linalg.norm(unit.vector) == pytest.approx(2.0, rel=1e-5)


def test_valence_direction_moves_vader_far_more_than_a_random_direction(smol, valence):
    from helpers.judges import vader

    random = np.random.default_rng(0).standard_normal(576)
    jobs, keys = [], []
    for name, direction in (("valence", valence.direction), ("random", random)):
        for alpha in (-4.0, 4.0):
            add = steering_add(steering_vectors(smol, direction, LAYER, alpha, scale=valence.projection_std))
            jobs += [Job(p, 0, add) for p in PROMPTS]
            keys += [(name, alpha)] * len(PROMPTS)
    scores = vader(generate_many(smol, jobs, max_new_tokens=24, batch_size=32))
    keys = np.array(keys, dtype=object)

    def gap(name):
        pos = [s for s, k in zip(scores, keys) if k[0] == name and k[1] > 0]
        neg = [s for s, k in zip(scores, keys) if k[0] == name and k[1] < 0]
        return float(np.mean(pos) - np.mean(neg))

    print(f"VADER gap (alpha +4 minus -4): valence {gap('valence'):.3f}, random {gap('random'):.3f}")
    assert gap("valence") > 0.3
    assert abs(gap("random")) < 0.5 * gap("valence")


def test_ablation_removes_the_direction_from_the_residual_stream(smol, valence):
    from helpers import collect

    texts = ["Bob feels happy, so Bob", "Bob feels miserable, so Bob"]
    plain = collect(smol, texts, layers=[LAYER], cache=False)[:, 0, :] @ valence.direction
    before = _hook_count(smol)
    with ablate(smol, valence) as handle:
        ablated = collect(smol, texts, layers=[LAYER], cache=False)[:, 0, :] @ valence.direction
        assert len(handle.hook_names) == 2 * smol.cfg.n_layers + 1
    assert abs(plain[0] - plain[1]) > 1.0
    assert np.abs(ablated).max() < 1e-3
    assert _hook_count(smol) == before


def test_widget_generates_unsteered_and_steered_side_by_side(smol, valence):
    from helpers.widgets import OUTPUT_CLASS, SteeringWidget

    # the valence probe stands in for the arousal one: the widget only needs both keys
    directions = {("valence", "mean_diff", LAYER): valence, ("arousal", "mean_diff", LAYER): valence}
    widget = SteeringWidget(smol, directions, {"valence": valence}, max_new_tokens=12)
    assert [w.description for w in (widget.prompt, widget.valence, widget.arousal, widget.layer, widget.kind,
                                     widget.seed, widget.button)] == \
        ["Prompt", "Valence", "Arousal", "Layer", "Direction", "Seed", "Generate"]
    assert OUTPUT_CLASS in widget.output._dom_classes
    before = _hook_count(smol)
    widget.valence.value = 6.0
    result = widget.generate()
    assert result["unsteered"] and result["steered"] and result["unsteered"] != result["steered"]
    assert result["unsteered"] == generate(smol, widget.prompt.value, max_new_tokens=12, seed=0)
    assert "Unsteered:" in widget.output.value and "Steered (valence +6.0" in widget.output.value
    assert 'class="emo-unsteered-text"' in widget.output.value and 'class="emo-steered-text"' in widget.output.value
    assert result["readout_steered"]["valence"] > result["readout_unsteered"]["valence"]
    assert not widget.button.disabled and _hook_count(smol) == before
    widget.prompt.value = "  "
    assert "error" in widget.generate() and "Error" in widget.output.value
