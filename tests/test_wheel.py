"""The package as users install it: ``python -m build`` gives a wheel and an sdist that carry the recipes, rules and
language tables; the wheel, installed into a fresh virtual environment outside the checkout, runs
``opencoder refine`` with the default recipe on a small tree from another folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = (
    "opencoder/recipes/refinecode.yaml",
    "opencoder/recipes/pretrain-tiny.yaml",
    "opencoder/refine/rules/python.yaml",
    "opencoder/refine/data/refinecode_languages.json",
    "opencoder/refine/signals/data/stopwords_en.json",
)
DEFAULT_STAGES = [
    "preprocess",
    "notebook",
    "langid",
    "exact_dedup",
    "fuzzy_dedup",
    "transform",
    "signals",
    "filter",
    "sample",
]
PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
WHERE = "import opencoder; print(opencoder.__file__)"
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.so", "__pycache__", "*.egg-info", ".*_cache")


def clean_env() -> dict[str, str]:
    """This environment without anything that would make the checkout's code importable."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.mark.slow
def test_wheel_installs_and_refines_with_the_default_recipe(tmp_path):
    checkout = tmp_path / "checkout"  # a copy: the build writes build/ and egg-info next to the sources
    shutil.copytree(ROOT, checkout, ignore=SKIP)
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(checkout)],
        capture_output=True, text=True, timeout=600, env=clean_env(),
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("opencoder-*.whl"))
    sdist = next(dist.glob("opencoder-*.tar.gz"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(SHIPPED) <= names
    assert any(n.startswith("opencoder/refine/signals/_kernel") and n.endswith(".so") for n in names)
    with tarfile.open(sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {f"src/{n}" for n in SHIPPED} | {"src/opencoder/io/_treeread.c", "setup.py"} <= in_sdist

    # A fresh environment: the wheel alone, its dependencies taken from this interpreter's site-packages through a
    # plain path entry (so that no editable install of the checkout there is activated).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.check_output([python, "-c", PURELIB], text=True).strip())
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    installed = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=300, env=clean_env())
    assert installed.returncode == 0, installed.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    tree = elsewhere / "code" / "proj"
    tree.mkdir(parents=True)
    (tree / "app.py").write_text("import os\n\n\ndef main():\n    return os.getcwd()\n" * 8)
    (tree / "copy.py").write_text("import os\n\n\ndef main():\n    return os.getcwd()\n" * 8)
    (tree / "README.md").write_text("# proj\n\nA small project used to test the installed package.\n")
    where = subprocess.check_output([python, "-c", WHERE], cwd=elsewhere, env=clean_env(), text=True)
    assert Path(where.strip()).is_relative_to(venv)
    run = subprocess.run(
        [venv / "bin" / "opencoder", "refine", "code", "--out", "run", "--workers", "1"],
        cwd=elsewhere, capture_output=True, text=True, timeout=600, env=clean_env(),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((elsewhere / "run" / "manifest.json").read_text())
    names = [s["name"] for s in manifest["stages"]]
    assert names == ["read", *DEFAULT_STAGES]
    assert manifest["documents"]["in"] == 3 == manifest["documents"]["kept"] + manifest["documents"]["removed"]
    assert manifest["stages"][names.index("exact_dedup")]["reasons"] == {"exact_duplicate": 1}
