import pytest
import torch

from opencoder.errors import OpencoderError
from opencoder.train.models import build_model, flops_per_token, get_spec, llama_config


def _meta_model(name: str):
    with torch.device("meta"):  # never allocates the weights
        return build_model(llama_config(get_spec(name)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # 2*V*h (untied) + L*(4*h*h + 3*h*f + 2*h) + h, with V=96640, h=2240, L=24, f=6144 (MHA)
        ("opencoder-1.5b", 1_905_650_880),
        # 2*V*h + L*(2*h*h + 2*h*1024 + 3*h*f + 2*h) + h, with h=4096, L=32, f=14336, 8 KV heads of 128
        ("opencoder-8b", 7_771_262_976),
    ],
)
def test_paper_models_have_the_released_parameter_counts(name, expected):
    model = _meta_model(name)
    assert sum(p.numel() for p in model.parameters()) == expected
    assert not any(n.endswith("bias") for n, _ in model.named_parameters())
    assert model.lm_head.weight is not model.model.embed_tokens.weight


def test_configs_match_spec_table():
    small, big = (llama_config(get_spec(n)) for n in ("opencoder-1.5b", "opencoder-8b"))
    assert (small.num_hidden_layers, small.hidden_size, small.num_attention_heads) == (24, 2240, 14)
    assert (small.num_key_value_heads, small.head_dim, small.intermediate_size) == (14, 160, 6144)
    assert small.max_position_embeddings == 4096
    assert (big.num_hidden_layers, big.hidden_size, big.num_attention_heads) == (32, 4096, 32)
    assert big.num_key_value_heads == 8
    assert (big.head_dim, big.intermediate_size, big.max_position_embeddings) == (128, 14336, 8192)
    for cfg, theta in ((small, 10_000.0), (big, 500_000.0)):
        assert cfg.vocab_size == 96640 and cfg.rms_norm_eps == 1e-5 and cfg.hidden_act == "silu"
        assert not cfg.tie_word_embeddings and not cfg.attention_bias and not cfg.mlp_bias
        rope = getattr(cfg, "rope_parameters", None) or {"rope_theta": cfg.rope_theta}
        assert rope["rope_theta"] == theta


def test_flops_per_token_is_6n_plus_attention():
    cfg = llama_config(get_spec("opencoder-1.5b"))
    n_matmul = 1_905_650_880 - 96640 * 2240 - (24 * 2 + 1) * 2240  # minus input embedding and norm gains
    assert flops_per_token(cfg, 4096) == 6 * n_matmul + 12 * 24 * 14 * 160 * 4096


def test_unknown_model_lists_choices():
    with pytest.raises(OpencoderError, match=r"opencoder-1\.5b"):
        get_spec("llama-70b")
