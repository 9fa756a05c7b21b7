"""transform and sample inside a real `refine` run: registry, recipe params, manifest counters, run outputs."""

from __future__ import annotations

import pyarrow.parquet as pq

from opencoder.engine.recipe import parse_recipe
from opencoder.engine.runner import RunOptions, run_recipe

HEADER = "# Copyright 2021 Jane Roe\n# Licensed under the MIT License\n\n"


def test_refine_runs_transform_then_sample(tmp_path):
    tree = tmp_path / "corpus"
    (tree / "app").mkdir(parents=True)
    (tree / "app" / "main.py").write_text(HEADER + 'ADMIN = "jane.roe@gmail.com"\nDNS = "8.8.8.8"\n')
    for i in range(40):
        (tree / "app" / f"Cls{i}.java").write_text(f"class Cls{i} {{ int v = {i}; }}\n")
    recipe = parse_recipe(
        {
            "seed": 3,
            "stages": [
                {"name": "preprocess"},
                {"name": "langid"},
                {"name": "transform", "params": {"copyright": True, "pii": True}},
                {"name": "sample", "params": {"keep": {"java": 0.5}}},
            ],
        }
    )
    manifest = run_recipe([(str(tree), None)], tmp_path / "out", recipe, RunOptions(workers=1))
    stages = {s["name"]: s for s in manifest["stages"]}
    assert stages["transform"]["removed"] == 0
    assert stages["transform"]["counters"]["copyright_headers"] == 1
    assert stages["transform"]["counters"]["pii_email"] == 1
    assert stages["transform"]["counters"]["pii_ip_address"] == 1
    java_dropped = stages["sample"]["removed"]
    assert 5 <= java_dropped <= 35  # Binomial(40, 0.5): far outside 5..35 only with probability < 1e-5
    assert stages["sample"]["counters"]["downsampled_java"] == java_dropped

    kept = [r for f in (tmp_path / "out" / "kept").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    main = next(row for row in kept if row["path"].endswith("main.py"))
    assert main["text"] == 'ADMIN = "<EMAIL>"\nDNS = "<IP_ADDRESS>"\n'
    assert len(main["original_sha256"]) == 64
    removed = [r for f in (tmp_path / "out" / "removed").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    assert {r["reason"] for r in removed if r["stage"] == "sample"} == {"downsampled"}
