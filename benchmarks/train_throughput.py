"""Training throughput: our loop against a plain HF ``LlamaForCausalLM`` step measured in the same run.

CPU: the ``tiny`` and ``small`` configs (``small`` is the ANCHORS.md shape: 4 layers, d=256, seq 512, vocab 8k).
GPU (when CUDA is available): ``opencoder-1.5b`` at seq 4096 in bf16 with SDPA, tokens/s and MFU; the baselines are
the plain HF step with SDPA and with eager attention. ``--smoke`` runs the GPU code path with the tiny model (which is
how it is checked on machines without a GPU).

    python benchmarks/train_throughput.py            # CPU configs, plus the GPU one where CUDA exists
    python benchmarks/train_throughput.py --smoke    # the GPU code path on whatever device, tiny model

Tokens come from a tokenizer and shards built on the real-text fixture (Python docs), so no download is needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from opencoder.train.data import WindowDataset
from opencoder.train.loop import train
from opencoder.train.models import build_model, get_spec, llama_config
from opencoder.train.packing import TokenShards, tokenize
from opencoder.train.recipe import load_recipe
from opencoder.train.tokenizer import train_tokenizer

TEXT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "python-docs-sample.jsonl.gz"


def make_tokens(work: Path) -> Path:
    tok = train_tokenizer([TEXT], work / "tok", vocab_size=1024)
    tokenize([TEXT], tok, work / "tokens", processes=1)
    return work / "tokens"


def ours(model: str, tokens: Path, work: Path, steps: int, seq_len: int, micro: int) -> tuple[float, float | None]:
    """Median tokens/s (and MFU) of our loop, first two steps excluded as warm-up."""
    recipe = load_recipe("pretrain", model=model, data=[{"path": str(tokens)}], max_steps=steps, seq_len=seq_len,
                         micro_batch=micro, global_batch=micro, warmup_steps=1, save_every=10**9)  # fmt: skip
    out = work / f"run-{model}"
    train(recipe, out)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()][2:]
    mfu = [r["mfu"] for r in rows if r["mfu"] is not None]
    return statistics.median(r["tokens_per_s"] for r in rows), (statistics.median(mfu) if mfu else None)


def plain(model: str, tokens: Path, steps: int, seq_len: int, micro: int, attn: str) -> float:
    """Median tokens/s of the textbook HF loop: forward with labels, backward, AdamW step (no accumulation)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = llama_config(get_spec(model))
    net = build_model(cfg, attn_implementation=attn).to(device).train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, fused=device.type == "cuda")
    ds = WindowDataset(TokenShards.open(tokens), seq_len)
    rates = []
    for step in range(steps):
        batch = torch.stack([torch.from_numpy(ds[(step * micro + i) % len(ds)]["input_ids"]) for i in range(micro)])
        batch = batch.to(device)
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = net(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # synchronise, as our loop does when it logs
        rates.append(batch.numel() / (time.perf_counter() - t0))
    del net, opt
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return statistics.median(rates[2:])


def report(
    label: str, model: str, tokens: Path, work: Path, steps: int, seq_len: int, micro: int, repeats: int
) -> None:
    """Interleave the three measurements ``repeats`` times and keep each one's best median (the machine is shared)."""
    base_sdpa = base_eager = tps = 0.0
    mfu = None
    for _ in range(repeats):
        base_sdpa = max(base_sdpa, plain(model, tokens, steps, seq_len, micro, "sdpa"))
        base_eager = max(base_eager, plain(model, tokens, steps, seq_len, micro, "eager"))
        run_tps, run_mfu = ours(model, tokens, work, steps, seq_len, micro)
        if run_tps > tps:
            tps, mfu = run_tps, run_mfu
    line = (f"{label:<28} ours {tps:>10,.0f} tok/s | plain HF sdpa {base_sdpa:>10,.0f} (x{tps / base_sdpa:.2f})"
            f" | plain HF eager {base_eager:>10,.0f} (x{tps / base_eager:.2f})")  # fmt: skip
    if mfu is not None:
        line += f" | MFU {mfu:.1%}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="GPU code path with the tiny model only")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repetitions; the best is kept")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    print(f"device: {device}; torch {torch.__version__}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tokens = make_tokens(work)
        if args.smoke:
            report("tiny (GPU code path)", "tiny", tokens, work, 5, 64, 4, 1)
            return
        if not torch.cuda.is_available():
            report("tiny seq 64 micro 8", "tiny", tokens, work, args.steps, 64, 8, args.repeats)
            report("small seq 512 micro 2", "small", tokens, work, max(4, args.steps // 2), 512, 2, args.repeats)
        else:
            report("opencoder-1.5b seq 4096 bf16", "opencoder-1.5b", tokens, work, args.steps, 4096, 2, args.repeats)


if __name__ == "__main__":
    main()
