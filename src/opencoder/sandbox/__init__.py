"""Contained execution of untrusted programs (Python and seven other languages, languages.py): one fresh process per
program, shared by eval and synth."""

from opencoder.sandbox.limits import Limits
from opencoder.sandbox.pool import run_many
from opencoder.sandbox.runner import Outcome, Program, Result, Sandbox

__all__ = ["Limits", "Outcome", "Program", "Result", "Sandbox", "run_many"]
