"""In-process Hugging Face transformers backend: batched, greedy or sampled, on whatever device torch has.

Loads a model folder or a GGUF file (transformers dequantises GGUF weights; needs the `gguf` package). Chat
models get their tokenizer's chat template; generation stops early once every sequence of a batch has met a
stop string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from opencoder.errors import OpencoderError

log = logging.getLogger(__name__)


class HFBackend:
    def __init__(
        self,
        model: str | Path,
        gguf_file: str | None = None,
        chat: bool | None = None,
        batch_size: int = 8,
        seed: int = 0,
        device: str | None = None,
    ):
        """`model`: a folder, a hub-style name already in the local cache, or a .gguf file. chat=None: use the
        chat template when the tokenizer has one."""
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as err:
            raise OpencoderError(f"the transformers backend needs torch and transformers ({err})") from None
        path = Path(model)
        if path.suffix == ".gguf" and gguf_file is None:
            path, gguf_file = path.parent, path.name
        if not path.exists():
            raise OpencoderError(f"model {path} does not exist")
        kwargs = {"gguf_file": gguf_file} if gguf_file else {}
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), **kwargs)
        self.model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32, **kwargs)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.chat = bool(self.tokenizer.chat_template) if chat is None else chat
        if self.chat and not self.tokenizer.chat_template:
            raise OpencoderError(f"model {model} has no chat template: evaluate it as a base model")
        self.batch_size = batch_size
        self.seed = seed
        self.failures: dict[int, str] = {}
        self._torch = torch

    def _render(self, prompt: str) -> str:
        if not self.chat:
            return prompt
        messages = [{"role": "user", "content": prompt}]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def generate(
        self,
        prompts: Sequence[str],
        n: int,
        temperature: float,
        max_tokens: int,
        stop: Sequence[str],
        on_result: Callable[[int, list[str]], None] | None = None,
    ) -> list[list[str]]:
        """on_result(index, texts) runs for each prompt as its batch ends."""
        torch = self._torch
        torch.manual_seed(self.seed)
        sampling = (
            {"do_sample": True, "temperature": temperature, "top_p": 1.0} if temperature > 0 else {"do_sample": False}
        )
        out: list[list[str]] = []
        for start in range(0, len(prompts), self.batch_size):
            texts = [self._render(p) for p in prompts[start : start + self.batch_size]]
            # Chat templates already hold the BOS token; base prompts get the tokenizer's own special tokens.
            batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not self.chat)
            batch = batch.to(self.device)
            with torch.no_grad():
                tokens = self.model.generate(
                    **batch,
                    max_new_tokens=max_tokens,
                    num_return_sequences=n,
                    stop_strings=list(stop) or None,
                    tokenizer=self.tokenizer,
                    pad_token_id=self.tokenizer.pad_token_id,
                    **sampling,
                )
            new = tokens[:, batch["input_ids"].shape[1] :]
            decoded = self.tokenizer.batch_decode(new, skip_special_tokens=True)
            for i in range(len(texts)):
                out.append(decoded[i * n : (i + 1) * n])
                if on_result is not None:
                    on_result(start + i, out[-1])
            log.info("generated %d/%d prompts", min(start + self.batch_size, len(prompts)), len(prompts))
        return out
