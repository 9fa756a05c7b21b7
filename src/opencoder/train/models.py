"""Model configurations: OpenCoder's two sizes exactly as released (SPEC §5.1) plus small ones for CPUs.

Every model is an HF ``LlamaForCausalLM`` so checkpoints load in transformers and vLLM unchanged. Each spec also
carries CPU- or paper-sized training defaults (sequence length, batch sizes, warmup) that a recipe may override.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opencoder.errors import OpencoderError


@dataclass(frozen=True)
class ModelSpec:
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    rope_theta: float
    context: int
    norm_eps: float = 1e-5
    train_defaults: dict = field(default_factory=dict)  # seq_len, micro_batch, global_batch, warmup_steps


MODELS: dict[str, ModelSpec] = {
    "opencoder-1.5b": ModelSpec(24, 2240, 14, 14, 160, 6144, 96640, 10_000.0, 4096,
                                train_defaults={"seq_len": 4096, "micro_batch": 4, "global_batch": 1024}),
    "opencoder-8b": ModelSpec(32, 4096, 32, 8, 128, 14336, 96640, 500_000.0, 8192,
                              train_defaults={"seq_len": 8192, "micro_batch": 1, "global_batch": 1024}),
    # CPU-sized: tests and the demo (GQA kept so the same attention path is exercised).
    "tiny": ModelSpec(2, 64, 4, 2, 16, 176, 1024, 10_000.0, 256,
                      train_defaults={"seq_len": 64, "micro_batch": 4, "global_batch": 8, "warmup_steps": 10}),
    # The ANCHORS.md CPU reference shape (4 layers, d=256, seq 512, vocab 8k).
    "small": ModelSpec(4, 256, 4, 4, 64, 688, 8192, 10_000.0, 512,
                       train_defaults={"seq_len": 512, "micro_batch": 2, "global_batch": 8, "warmup_steps": 100}),
}  # fmt: skip


def get_spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise OpencoderError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]


def llama_config(spec: ModelSpec, vocab_size: int | None = None):
    """The transformers ``LlamaConfig`` of a spec: SwiGLU, RMSNorm, RoPE, untied embeddings, no biases."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=vocab_size or spec.vocab,
        hidden_size=spec.hidden,
        intermediate_size=spec.ffn,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.kv_heads,
        head_dim=spec.head_dim,
        hidden_act="silu",
        max_position_embeddings=spec.context,
        rms_norm_eps=spec.norm_eps,
        rope_theta=spec.rope_theta,
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        initializer_range=0.02,
        use_cache=False,
    )


def build_model(config, attn_implementation: str = "sdpa"):
    """A freshly initialised ``LlamaForCausalLM`` (on the current default device, e.g. ``torch.device("meta")``)."""
    from transformers import LlamaForCausalLM

    config._attn_implementation = attn_implementation
    return LlamaForCausalLM(config)


def flops_per_token(config, seq_len: int) -> float:
    """Training FLOPs per token: 6 x matmul parameters (input embedding excluded) + causal attention term.

    The attention term is 12 x layers x heads x head_dim x seq_len (PaLM appendix B), counting QK^T and AV forward
    and backward over the full sequence.
    """
    h, f, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    q = config.num_attention_heads * config.head_dim
    kv = config.num_key_value_heads * config.head_dim
    per_layer = h * q + 2 * h * kv + q * h + 3 * h * f
    matmul_params = layers * per_layer + h * config.vocab_size  # + the untied LM head
    return 6.0 * matmul_params + 12.0 * layers * q * seq_len


# Dense bf16 peak FLOP/s by device name substring (vendor datasheets); MFU is null for devices not listed.
PEAK_BF16_FLOPS: dict[str, float] = {
    "H200": 989e12,
    "H100": 989e12,
    "H800": 989e12,
    "A100": 312e12,
    "A800": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "RTX 4090": 165e12,
}


def peak_flops(device_name: str) -> float | None:
    for key, value in PEAK_BF16_FLOPS.items():
        if key in device_name:
            return value
    return None
