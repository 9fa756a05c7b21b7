"""The manifest's package versions, read from the dist-info folders, agree with importlib.metadata."""

from __future__ import annotations

from importlib import metadata

from opencoder.engine.manifest import VERSIONED, package_versions


def test_versions_are_what_importlib_metadata_finds():
    versions = package_versions()
    expected = {}
    for name in VERSIONED:
        try:
            expected[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    assert {k: v for k, v in versions.items() if k not in ("python", "platform")} == expected
    assert expected["pyarrow"] and versions["python"].count(".") == 2
