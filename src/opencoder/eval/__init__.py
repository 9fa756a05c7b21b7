"""Evaluation of code models (SPEC §6, §8.1): benchmarks, prompting, sanitising, sandboxed scoring, pass@k."""
