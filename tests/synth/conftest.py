"""The sandbox the synthesis tests validate in: short timeouts, so that a hanging program costs two seconds."""

from __future__ import annotations

import pytest

from opencoder.sandbox import Limits, Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    return Sandbox(Limits(timeout=2.0, memory_mb=1024, processes=32))
