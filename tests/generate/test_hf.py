"""The transformers backend on a tiny real Llama (random weights, a BPE tokenizer trained here): batching, greedy
and sampled decoding, stop strings, chat templates. benchmarks/eval_smollm2.py runs a real pretrained model."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

from opencoder.generate import generate  # noqa: E402
from opencoder.generate.hf import HFBackend  # noqa: E402

TEXT = ["def add(a, b):\n    return a + b\n", "print('hello world')\n", "for i in range(10):\n    x += i\n"] * 20
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXT, trainers.BpeTrainer(vocab_size=300, special_tokens=["</s>", "<s>"]))
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", bos_token="<s>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        eos_token_id=fast.eos_token_id, bos_token_id=fast.bos_token_id,
    )  # fmt: skip
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def test_greedy_is_deterministic_and_batching_does_not_change_it(model_dir):
    prompts = ["def add(a, b):\n", "print(", "for i in range(10):\n    x"]
    batched = generate(HFBackend(model_dir, chat=False, batch_size=3), prompts, max_tokens=12)
    one_by_one = generate(HFBackend(model_dir, chat=False, batch_size=1), prompts, max_tokens=12)
    assert batched == one_by_one
    assert [len(texts) for texts in batched] == [1, 1, 1]
    assert all(texts[0] for texts in batched)


def test_sampling_gives_n_completions_and_stop_strings_cut(model_dir):
    backend = HFBackend(model_dir, chat=False, batch_size=2, seed=1)
    out = generate(backend, ["def add(a, b):\n", "print("], n=4, temperature=1.0, max_tokens=16)
    assert [len(texts) for texts in out] == [4, 4]
    assert len({t for texts in out for t in texts}) > 1
    greedy = generate(backend, ["def add(a, b):\n"], max_tokens=16)[0][0]
    stop = greedy[3:5]
    cut = generate(backend, ["def add(a, b):\n"], max_tokens=16, stop=[stop])[0][0]
    assert stop and cut == greedy[: greedy.find(stop)]


def test_chat_template_is_used_when_the_tokenizer_has_one(model_dir):
    backend = HFBackend(model_dir)
    assert backend.chat
    assert backend._render("hi") == "<|user|>hi</s><|assistant|>"
    assert len(generate(backend, ["hi"], max_tokens=4)[0]) == 1
