"""Training: tokenizer, packed token shards, Llama model configs, schedules, pretrain/anneal/SFT loops, export.

Needs the ``[train]`` extra (torch, transformers, tokenizers, safetensors); submodules import them lazily so the
rest of the package works without it.
"""
