"""Generation backends behind one interface: `generate(backend, prompts, n, temperature, max_tokens, stop)`.

`HFBackend` runs a transformers model in-process (imported lazily: it needs torch); `OpenAIBackend` talks to an
OpenAI-compatible server over HTTP.
"""

from opencoder.generate.base import Backend, cut_at_stop, generate
from opencoder.generate.openai_http import OpenAIBackend

__all__ = ["Backend", "OpenAIBackend", "cut_at_stop", "generate"]
