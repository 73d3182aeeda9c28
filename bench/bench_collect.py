"""Benchmark `collect` against plain Hugging Face and TransformerLens's run_with_cache, and
`collect` on the nnsight backend (same weights, same prompts) against `collect` on TransformerLens.

    python bench/bench_collect.py [--model smollm2-135m] [--n-prompts 256] [--batch-size 64]

Writes bench/results.json and prints a table. All variants run on the same prompts,
batch size and thread count, in interleaved rounds (best round kept) so that a passing
load on the machine hurts every variant alike. FLOP/s count the tokens each variant really
runs (padding excluded; for `collect`, a prefix shared by several prompts counts once).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import torch

from helpers import collect, load_model
from helpers.collect import tokens_computed
from helpers.notebook import write_json_atomic
from helpers.paths import ROOT

NAMES = ["Bob", "Alice", "Mei", "Omar", "Priya", "Carlos", "Aiko", "Kwame"]
ADJECTIVES = ["happy", "sad", "joyful", "miserable", "calm", "furious", "content", "anxious",
              "cheerful", "gloomy", "relaxed", "terrified", "proud", "lonely", "excited", "bored"]
FRAMES = ["{n} feels {a} today, so {n}", "{n} did not feel {a} at all, and then {n}",
          "After the meeting, {n} was {a}, so {n}", "In her diary Mei wrote that {n} seemed {a}, and"]


def templated_prompts(n: int) -> list[str]:
    prompts = [f.format(n=name, a=adj) for f in FRAMES for name in NAMES for adj in ADJECTIVES]
    return (prompts * (n // len(prompts) + 1))[:n]


def matmul_flops_per_second(size: int = 1024, repeats: int = 20) -> float:
    """This machine's float32 matmul rate at shapes like the model's (best of several runs)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 * repeats / best


def layer_params(model, n_layers: int) -> int:
    return sum(p.numel() for layer in model.original_model.model.layers[:n_layers] for p in layer.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--n-prompts", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()

    from transformers import AutoModelForCausalLM

    model = load_model(args.model, device="cpu")
    nn_model = load_model(args.model, device="cpu", backend="nnsight")
    info = model.emo
    # The reference: the same weights loaded the plain Hugging Face way (default attention kernel).
    plain = AutoModelForCausalLM.from_pretrained(info.path, dtype=torch.float32).eval()
    tokenizer = model.tokenizer
    prompts = templated_prompts(args.n_prompts)
    tokenizer.padding_side = "right"
    batches = [tokenizer(prompts[i:i + args.batch_size], return_tensors="pt", padding=True,
                         add_special_tokens=info.prepend_bos)
               for i in range(0, len(prompts), args.batch_size)]
    real_tokens = int(sum(int(b["attention_mask"].sum()) for b in batches))
    half = info.n_layers // 2

    def plain_hf():
        for batch in batches:
            plain(**batch, output_hidden_states=True)

    def tl_run_with_cache():
        for batch in batches:
            model.run_with_cache(batch["input_ids"], attention_mask=batch["attention_mask"],
                                 names_filter=lambda name: name.endswith("hook_resid_post"))

    def collect_all():
        collect(model, prompts, layers=None, batch_size=args.batch_size, cache=False, progress=False)

    def collect_all_unshared():  # every prompt run whole: the kernel-efficiency check of the wrapping
        collect(model, prompts, layers=None, batch_size=args.batch_size, cache=False, progress=False,
                share_prefixes=False)

    def nnsight_collect_all():  # the same call on the nnsight backend: one trace per batch
        collect(nn_model, prompts, layers=None, batch_size=args.batch_size, cache=False, progress=False)

    def collect_half():
        collect(model, prompts, layers=list(range(half)), batch_size=args.batch_size, cache=False, progress=False)

    variants = {"plain_hf": plain_hf, "tl_run_with_cache": tl_run_with_cache,
                "collect_all_layers": collect_all, "collect_all_layers_unshared": collect_all_unshared,
                "collect_first_half": collect_half, "nnsight_collect_all_layers": nnsight_collect_all}
    best = {name: float("inf") for name in variants}
    with torch.inference_mode():
        for fn in variants.values():  # warm-up
            fn()
        matmul_rate = matmul_flops_per_second()
        for _ in range(args.rounds):
            for name, fn in variants.items():
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
        matmul_rate = max(matmul_rate, matmul_flops_per_second())

    # FLOPs actually run: real tokens (padding excluded); `collect` runs a prefix shared by several
    # prompts once, so it runs fewer tokens than the others, and its kernel efficiency is judged on those.
    _, collect_tokens = tokens_computed(model, prompts)
    flops = {"plain_hf": 2 * (layer_params(model, info.n_layers) + plain.lm_head.weight.numel()) * real_tokens,
             "tl_run_with_cache": 2 * (layer_params(model, info.n_layers) + plain.lm_head.weight.numel()) * real_tokens,
             "collect_all_layers": 2 * layer_params(model, info.n_layers) * collect_tokens,
             "collect_all_layers_unshared": 2 * layer_params(model, info.n_layers) * real_tokens,
             "collect_first_half": 2 * layer_params(model, half) * collect_tokens,
             "nnsight_collect_all_layers": 2 * layer_params(model, info.n_layers) * collect_tokens}
    tokens_run = {"plain_hf": real_tokens, "tl_run_with_cache": real_tokens,
                  "collect_all_layers": collect_tokens, "collect_all_layers_unshared": real_tokens,
                  "collect_first_half": collect_tokens, "nnsight_collect_all_layers": collect_tokens}

    # Cached reload: first call fills the cache, the second reads it.
    collect(model, prompts, batch_size=args.batch_size, progress=False)
    start = time.perf_counter()
    collect(model, prompts, batch_size=args.batch_size, progress=False)
    cached_reload = time.perf_counter() - start

    # nnsight / TransformerLens time for the same collect (>1 = nnsight slower); the goal is <= 1.2.
    nnsight_slowdown = best["nnsight_collect_all_layers"] / best["collect_all_layers"]
    rows = {}
    for name, seconds in best.items():
        rate = len(prompts) / seconds
        rows[name] = {"prompts_per_s": rate, "speedup_vs_plain_hf": rate / (len(prompts) / best["plain_hf"]),
                      "tokens_run": tokens_run[name],
                      "achieved_gflops": flops[name] / seconds / 1e9,
                      "fraction_of_matmul_rate": flops[name] / seconds / matmul_rate}
    results = {
        "model": info.name, "n_prompts": len(prompts), "batch_size": args.batch_size, "real_tokens": real_tokens,
        "mean_tokens_per_prompt": real_tokens / len(prompts), "threads": torch.get_num_threads(),
        "matmul_gflops": matmul_rate / 1e9, "variants": rows,
        "goals": {"collect_all_layers_speedup>=1.4": rows["collect_all_layers"]["speedup_vs_plain_hf"] >= 1.4,
                  "collect_first_half_speedup>=3.0": rows["collect_first_half"]["speedup_vs_plain_hf"] >= 3.0,
                  "collect_fraction_of_matmul>=0.8": rows["collect_all_layers"]["fraction_of_matmul_rate"] >= 0.8,
                  "collect_unshared_fraction_of_matmul>=0.8":
                      rows["collect_all_layers_unshared"]["fraction_of_matmul_rate"] >= 0.8,
                  "nnsight_collect_within_1.2x_of_transformer_lens": nnsight_slowdown <= 1.2},
        "nnsight_time_vs_transformer_lens_collect": nnsight_slowdown,
        "cached_reload_s": cached_reload,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": {"processor": platform.processor() or platform.machine(), "cores": torch.get_num_threads(),
                    "python": platform.python_version(), "torch": torch.__version__},
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_json_atomic(args.out, results)
    print(f"{info.name}: {len(prompts)} prompts, batch {args.batch_size}, "
          f"{results['mean_tokens_per_prompt']:.1f} tokens/prompt, matmul {results['matmul_gflops']:.0f} GFLOP/s")
    print(f"{'variant':<29}{'prompts/s':>10}{'x plain HF':>12}{'tokens run':>12}{'GFLOP/s':>10}{'of matmul':>11}")
    for name, row in rows.items():
        print(f"{name:<29}{row['prompts_per_s']:>10.1f}{row['speedup_vs_plain_hf']:>12.2f}{row['tokens_run']:>12}"
              f"{row['achieved_gflops']:>10.1f}{row['fraction_of_matmul_rate']:>11.0%}")
    print(f"nnsight collect takes {nnsight_slowdown:.2f}x the time of TransformerLens collect (goal <= 1.2)")
    print(f"cached reload: {cached_reload:.3f} s; peak RSS {results['peak_rss_mb']:.0f} MB")
    print("goals:", json.dumps(results["goals"]))


if __name__ == "__main__":
    main()
