"""Export a trained model in HF format (config, safetensors weights, tokenizer, generation config)."""

from __future__ import annotations

from pathlib import Path

from opencoder.train.tokenizer import IM_END


def export_hf(model_state: dict, config, tok, out_dir: Path) -> Path:
    """Write ``out_dir`` so ``AutoModelForCausalLM.from_pretrained(out_dir)`` and vLLM load it."""
    from transformers import GenerationConfig, LlamaForCausalLM

    out_dir.mkdir(parents=True, exist_ok=True)
    config.use_cache = True
    model = LlamaForCausalLM(config)
    model.load_state_dict(model_state)
    model.save_pretrained(out_dir)
    GenerationConfig(
        bos_token_id=config.bos_token_id,
        eos_token_id=[tok.eos_token_id, tok.convert_tokens_to_ids(IM_END)],  # end of document or of a chat turn
        pad_token_id=tok.pad_token_id,
    ).save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir
