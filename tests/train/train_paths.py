"""Paths of the real-text fixtures the training tests use (see tests/fixtures/README.md)."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCS = FIXTURES / "python-docs-sample.jsonl.gz"  # 40 pages of the Python 3.11 docs
SFT = FIXTURES / "python-faq-sft.jsonl"  # 40 Python FAQ question/answer pairs
