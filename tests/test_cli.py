import re
import subprocess
import sys

import pytest
import typer
from rich.markup import render
from typer.testing import CliRunner

from opencoder import __version__
from opencoder.cli import app
from opencoder.errors import OpencoderError


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opencoder.cli", *args], capture_output=True, text=True, timeout=120)


def _commands(group=None, path: tuple[str, ...] = ()):
    """(command path, click command) for every command of the app, sub-commands included."""
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_version_command_prints_package_version():
    out = subprocess.run([sys.executable, "-m", "opencoder.cli", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == __version__


def test_no_help_text_is_eaten_as_markup():
    """--help renders texts as rich markup: "[default: x]" written into a text vanishes and leaves " ." behind."""
    texts = [(path, command.help) for path, command in _commands()]
    texts += [(path, param.help) for path, command in _commands() for param in command.params if param.help]
    assert len(texts) > 50
    assert [(path, text) for path, text in texts if render(text).plain != text] == []


@pytest.mark.parametrize("path", [path for path, _ in _commands()], ids=" ".join)
def test_help_pages_show_no_stray_punctuation(path):
    page = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert page.exit_code == 0, page.output
    assert re.findall(r".{20} [.,](?=\s)", page.output) == []  # a lone "." or "," after a space


def test_eval_help_shows_computed_defaults():
    page = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "200"}).output
    assert "Output folder. [default: (runs/eval/<benchmark>)]" in page
    assert "Programs run at once. [default: (cores + 1)]" in page
    assert "[default: (chat if the model has a chat template)]" in page


# Each command that takes --out, with the other arguments it needs to parse; "--out" goes first so that its check
# runs before any other.
OUT_COMMANDS = {
    "tokenizer train": ["x.jsonl"],
    "tokenize": ["x.jsonl", "--tokenizer", "tok"],
    "train": ["--stage", "pretrain"],
    "refine": ["x.jsonl"],
    "signals": ["x.jsonl"],
    "dedup": ["x.jsonl"],
    "report": ["run"],
    "demo": [],
    "eval": ["--benchmark", "humaneval", "--samples", "x.jsonl"],
    "decontam": ["x.jsonl"],
    "recall": ["x.jsonl", "--positives", "p.jsonl", "--negatives", "n.jsonl"],
    "synth": ["educational", "--seeds", "x.jsonl"],
    "ablate": ["a.yaml"],
}


def test_every_out_option_is_in_the_table():
    with_out = {" ".join(path) for path, command in _commands() if any(p.name == "out" for p in command.params)}
    assert with_out == set(OUT_COMMANDS)


@pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
def test_out_at_a_file_is_refused_before_any_work(command, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not yours\n")
    args = command.split()
    cases = [(taken / "sub", f"--out {taken / 'sub'}: {taken} is a file, not a folder")]
    if command == "report":  # --out names the page, a file
        cases.append((tmp_path, f"--out {tmp_path} is a folder; it must name a file"))
    else:
        cases.append((taken, f"--out {taken} is a file; it must name a folder"))
    for out, message in cases:
        result = CliRunner().invoke(app, [*args[:1], *args[1:], "--out", str(out), *OUT_COMMANDS[command]])
        assert isinstance(result.exception, OpencoderError), result.output
        assert str(result.exception) == message
    assert taken.read_text() == "not yours\n"


def test_the_command_line_prints_one_line_and_exits_2(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    done = _cli("eval", "--out", str(taken), "--benchmark", "humaneval", "--samples", "x.jsonl")
    assert done.returncode == 2
    assert done.stderr == f"error: --out {taken} is a file; it must name a folder\n"
    (tmp_path / "runs").write_text("")  # eval's default --out is runs/eval/<benchmark>
    default = subprocess.run(
        [sys.executable, "-m", "opencoder.cli", "eval", "-b", "humaneval", "--samples", "x.jsonl"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert default.returncode == 2
    assert default.stderr == "error: --out runs/eval/humaneval: runs is a file, not a folder\n"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["tokenize", "x.jsonl", "--tokenizer", "tok", "--out", "o", "--processes", "-1"], "--processes"),
        (["eval", "-b", "humaneval", "--samples", "x.jsonl", "--workers", "-1"], "--workers"),
        (["eval", "-b", "humaneval", "--samples", "x.jsonl", "--workers", "0"], "--workers"),
        (["eval", "-b", "humaneval", "--samples", "x.jsonl", "--timeout", "-1"], "--timeout"),
        (["eval", "-b", "humaneval", "--samples", "x.jsonl", "--memory-mb", "-5"], "--memory-mb"),
        (["eval", "-b", "humaneval", "--samples", "x.jsonl", "--n", "0"], "--n"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(args, option, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "opencoder.cli", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 2
    assert f"Invalid value for '{option}'" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
