# ruff: noqa: E501  (the programs under test are kept one per line, as a reader compares them across languages)
"""The seven other languages in the sandbox: a right and a wrong program, a compile error, and hostile programs
(infinite loop, fork bomb, memory bomb, a write outside the folder, a network connection, a 1 GB print, a
compile that never ends), each contained with no process left. Languages whose toolchain is not installed
are skipped here (`make toolchains` installs them) and reported as unavailable by the sandbox itself.
"""

from __future__ import annotations

import os
import re
import socket
import time

import psutil
import pytest

from opencoder.sandbox import Limits, Outcome, Program, Sandbox
from opencoder.sandbox import languages as langs

from .conftest import LIMITS, assert_no_process_left, unavailable

# Each program is completed with {body} (statements in main) and {top} (definitions before main).
SHELLS = {
    "cpp": "#include <bits/stdc++.h>\n#include <unistd.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n"
    "#include <arpa/inet.h>\nusing namespace std;\n{top}\nint main() {{\n{body}\nreturn 0;\n}}\n",
    "java": "import java.util.*;\nimport java.io.*;\nimport java.net.*;\nclass Problem {{\n{top}\n"
    "public static void main(String[] args) throws Exception {{\n{body}\n}}\n}}\n",
    "csharp": "using System;\nusing System.Collections.Generic;\nusing System.Diagnostics;\nusing System.IO;\n"
    "using System.Net.Sockets;\nclass Problem {{\n{top}\nstatic void Main() {{\n{body}\n}}\n}}\n",
    "typescript": "declare var require: any;\n{top}\n{body}\n",
    "javascript": "{top}\n{body}\n",
    "php": "<?php\n{top}\n{body}\n",
    "bash": "{top}\n{body}\n",
}

RIGHT = {
    "cpp": ("int add(int a, int b) { return a + b; }", 'assert(add(2, 3) == 5); cout << "ok" << endl;'),
    "java": ("static int add(int a, int b) { return a + b; }", 'assert add(2, 3) == 5; System.out.println("ok");'),
    "csharp": ("static int Add(int a, int b) { return a + b; }", 'Debug.Assert(Add(2, 3) == 5); Console.WriteLine("ok");'),
    "typescript": ("function add(a: number, b: number): number { return a + b; }",
                   'const assert = require("node:assert");\nassert.deepEqual(add(2, 3), 5); console.log("ok");'),
    "javascript": ("function add(a, b) { return a + b; }",
                   'const assert = require("node:assert");\nassert.deepEqual(add(2, 3), 5); console.log("ok");'),
    "php": ("function add($a, $b) { return $a + $b; }",
            'if (add(2, 3) !== 5) { throw new Exception("Test failed!"); } echo "ok\\n";'),
    "bash": ("add() {\n  echo $(( $1 + $2 ))\n}", '[[ $(add 2 3) = "5" ]] || exit 1\necho ok'),
}  # fmt: skip

COMPILED = ("cpp", "java", "csharp", "typescript")


def _program(lang: str, top: str = "", body: str = "", limits: Limits | None = None) -> Program:
    return Program(SHELLS[lang].format(top=top, body=body), language=lang, limits=limits)


def _wrong(lang: str) -> Program:
    top, body = RIGHT[lang]
    return _program(lang, top.replace("+", "-"), body)


@pytest.fixture(params=[name for name in langs.LANGUAGES if name != "python"])
def lang(request) -> str:
    why = langs.LANGUAGES[request.param].unavailable()
    if why is not None:
        pytest.skip(why)
    return request.param


@pytest.fixture(scope="module")
def box() -> Sandbox:
    sandbox = Sandbox(LIMITS, mode="auto")
    if not sandbox.isolated:
        unavailable("bubblewrap does not work here", needs_bwrap=True)
    return sandbox


def test_right_and_wrong_programs(box, lang):
    right = box.run(_program(lang, *RIGHT[lang]))
    assert right.outcome is Outcome.PASSED, right.stderr
    assert right.stdout.strip() == "ok"
    wrong = box.run(_wrong(lang))
    assert wrong.outcome is Outcome.FAILED, wrong.stderr
    # The reason is the error's own line, not a stack frame or Node's version line below it.
    if lang == "bash":
        assert wrong.reason == "exit status 1"
    else:
        assert re.search(r"Error|Exception|Assertion|assert|Fail", wrong.reason), wrong.reason
        assert not re.match(r"\s*at |Node\.js v", wrong.reason), wrong.reason


@pytest.mark.parametrize("lang_name", COMPILED)
def test_a_compile_error_is_a_failure_with_its_diagnostic(box, lang_name):
    if (why := langs.LANGUAGES[lang_name].unavailable()) is not None:
        pytest.skip(why)
    top, body = RIGHT[lang_name]
    result = box.run(_program(lang_name, top, body + "\nundefined_name_here(1);"))
    assert result.outcome is Outcome.FAILED
    assert result.reason.startswith("compile error:")
    assert "undefined_name_here" in result.stderr


def test_a_missing_toolchain_is_unavailable_not_failed(box, monkeypatch):
    missing = langs.Language("cobol", "main.cob", ("./main",), tools=("opencoder-no-such-compiler",))
    monkeypatch.setitem(langs.LANGUAGES, "cobol", missing)
    result = box.run(Program("IDENTIFICATION DIVISION.", language="cobol"))
    assert result.outcome is Outcome.UNAVAILABLE
    assert "opencoder-no-such-compiler" in result.reason and "make toolchains" in result.reason


LOOP = {
    "cpp": ("", "volatile long x = 0; while (true) { x++; }"),
    "java": ("", "long x = 0; while (true) { x++; if (x < 0) break; }"),
    "csharp": ("", "long x = 0; while (true) { x++; if (x < 0) break; }"),
    "typescript": ("", "let x = 0; while (true) { x++; }"),
    "javascript": ("", "let x = 0; while (true) { x++; }"),
    "php": ("", "$x = 0; while (true) { $x++; }"),
    "bash": ("", "while :; do :; done"),
}


def test_infinite_loop_times_out(box, lang):
    result = box.run(_program(lang, *LOOP[lang]))
    assert result.outcome is Outcome.TIMED_OUT
    assert result.seconds - result.compile_seconds < LIMITS.timeout + 1  # the run itself, its compile apart


def _bomb(lang: str, token: str) -> tuple[str, str]:
    """Start processes without end, each one a shell that sleeps with token in its command line."""
    return {
        "cpp": ("", f'while (true) {{ if (fork() == 0) {{ execl("/bin/sh", "sh", "-c", "sleep 60; true", "{token}", (char*)0); }} fork(); }}'),
        "java": ("", f'while (true) {{ try {{ new ProcessBuilder("sh", "-c", "sleep 60; true", "{token}").start(); }} catch (Exception e) {{ }} }}'),
        "csharp": ("", f'while (true) {{ try {{ Process.Start("sh", "-c \\"sleep 60; true\\" {token}"); }} catch (Exception) {{ }} }}'),
        "typescript": ("", f'const cp = require("child_process");\nwhile (true) {{ try {{ cp.spawn("sh", ["-c", "sleep 60; true", "{token}"], {{detached: true}}); }} catch (e) {{ }} }}'),
        "javascript": ("", f'const cp = require("child_process");\nwhile (true) {{ try {{ cp.spawn("sh", ["-c", "sleep 60; true", "{token}"], {{detached: true}}); }} catch (e) {{ }} }}'),
        "php": ("", f'while (true) {{ @exec("setsid sh -c \'sleep 60; true\' {token} > /dev/null 2>&1 &"); }}'),
        "bash": ("bomb() {\n  setsid sh -c 'sleep 60; true' " + token + " &\n  bomb | bomb &\n}", "bomb\nwait"),
    }[lang]  # fmt: skip


def test_fork_bomb_is_contained_and_cleaned_up(box, lang, token):
    result = box.run(_program(lang, *_bomb(lang, token)))
    assert result.outcome in (Outcome.TIMED_OUT, Outcome.FAILED, Outcome.CRASHED)
    assert_no_process_left(token)
    assert box.run(_program(lang, *RIGHT[lang])).outcome is Outcome.PASSED


MEMORY = {
    "cpp": ("", "vector<char*> v; while (true) { char* p = new char[64 << 20]; memset(p, 1, 64 << 20); v.push_back(p); }"),
    "java": ("", "List<long[]> l = new ArrayList<>(); while (true) { l.add(new long[1 << 23]); }"),
    "csharp": ("", "var l = new List<long[]>(); while (true) { var a = new long[1 << 23]; a[5] = 1; l.Add(a); }"),
    "typescript": ("", "const l: number[][] = []; while (true) { l.push(new Array(1 << 20).fill(1.5)); }"),
    "javascript": ("", "const l = []; while (true) { l.push(new Array(1 << 20).fill(1.5)); }"),
    "php": ("", '$l = []; while (true) { $l[] = str_repeat("x", 64 << 20); }'),
    "bash": ("", "x=({1..200000000})\n[[ ${x[0]} == 1 ]] || exit 1"),
}  # fmt: skip


def test_memory_bomb_crashes(box, lang):
    # Time enough for a runtime to start and fill its memory on a busy machine: memory, not time, must end it.
    result = box.run(_program(lang, *MEMORY[lang], limits=Limits(timeout=20, memory_mb=1024, processes=32)))
    assert result.outcome in (Outcome.CRASHED, Outcome.FAILED), result.reason
    assert result.outcome is not Outcome.TIMED_OUT
    assert "out of memory" in result.reason or "killed by" in result.reason, result.reason


def _write(lang: str, path: str) -> tuple[str, str]:
    return {
        "cpp": ("", f'FILE* f = fopen("{path}", "w"); if (f) {{ fputs("owned", f); fclose(f); }}'),
        "java": ("", f'try {{ new FileWriter("{path}").close(); }} catch (Exception e) {{ }}'),
        "csharp": ("", f'try {{ File.WriteAllText("{path}", "owned"); }} catch (Exception) {{ }}'),
        "typescript": ("", f'try {{ require("fs").writeFileSync("{path}", "owned"); }} catch (e) {{ }}'),
        "javascript": ("", f'try {{ require("fs").writeFileSync("{path}", "owned"); }} catch (e) {{ }}'),
        "php": ("", f'@file_put_contents("{path}", "owned");'),
        "bash": ("", f'echo owned > "{path}" 2>/dev/null; true'),
    }[lang]


def test_writing_outside_its_folder_fails(box, lang, tmp_path):
    os.chmod(tmp_path, 0o777)  # writable by anyone: only the sandbox may stop the write
    for target in (tmp_path / "evil.txt", f"/tmp/opencoder-evil-{os.getpid()}.txt"):
        box.run(_program(lang, *_write(lang, str(target))))
        assert not os.path.exists(target)


def _connect(lang: str, port: int) -> tuple[str, str]:
    return {
        "cpp": ("", f'int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{{}}; a.sin_family = AF_INET; a.sin_port = htons({port}); inet_pton(AF_INET, "127.0.0.1", &a.sin_addr); if (connect(s, (sockaddr*)&a, sizeof a) != 0) return 3;'),
        "java": ("", f'new Socket("127.0.0.1", {port}).close();'),
        "csharp": ("", f'new TcpClient("127.0.0.1", {port}).Close();'),
        "typescript": ("", f'const s = require("net").connect({port}, "127.0.0.1"); s.on("error", () => process.exit(3)); s.on("connect", () => process.exit(0));'),
        "javascript": ("", f'const s = require("net").connect({port}, "127.0.0.1"); s.on("error", () => process.exit(3)); s.on("connect", () => process.exit(0));'),
        "php": ("", f'$s = @fsockopen("127.0.0.1", {port}); if (!$s) {{ exit(3); }}'),
        "bash": ("", f"exec 3<>/dev/tcp/127.0.0.1/{port}"),
    }[lang]  # fmt: skip


def test_network_connection_fails(box, lang):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        result = box.run(_program(lang, *_connect(lang, server.getsockname()[1])))
        with pytest.raises(TimeoutError):
            server.accept()
    assert result.outcome is Outcome.FAILED


PRINT = {
    "cpp": ("", 'string s(65536, \'x\'); for (int i = 0; i < 16384; i++) cout << s; cout.flush();'),
    "java": ("", 'String s = "x".repeat(65536); for (int i = 0; i < 16384; i++) System.out.print(s); System.out.flush();'),
    "csharp": ("", 'var s = new string(\'x\', 65536); for (int i = 0; i < 16384; i++) Console.Write(s);'),
    "typescript": ("", 'const fs = require("fs"); const s = "x".repeat(65536); for (let i = 0; i < 16384; i++) fs.writeSync(1, s);'),
    "javascript": ("", 'const fs = require("fs"); const s = "x".repeat(65536); for (let i = 0; i < 16384; i++) fs.writeSync(1, s);'),
    "php": ("", '$s = str_repeat("x", 65536); for ($i = 0; $i < 16384; $i++) echo $s;'),
    "bash": ("", "s=$(printf 'x%.0s' {1..65536}); for ((i = 0; i < 16384; i++)); do printf '%s' \"$s\"; done"),
}  # fmt: skip


def test_a_1gb_print_is_cut_and_bounded(box, lang):
    result = box.run(_program(lang, *PRINT[lang]))
    assert result.outcome in (Outcome.CRASHED, Outcome.FAILED, Outcome.TIMED_OUT), result.reason
    assert len(result.stdout) <= LIMITS.output_bytes


def test_a_compile_that_never_ends_is_stopped(box):
    if (why := langs.LANGUAGES["cpp"].unavailable()) is not None:
        pytest.skip(why)
    # Each spin<N>() stays under GCC's per-evaluation limits (loop count, operation count), so
    # the compiler never gives up with an error; 800 of them take minutes on any machine.
    endless = (
        "template <int N> constexpr long spin() {\n"
        "  long s = N;\n"
        "  for (long i = 0; i < 1000; i++) for (long j = 0; j < 1000; j++) s += (i ^ j) % 7;\n"
        "  return s;\n"
        "}\n"
        "template <int N> struct T { static constexpr long v = T<N - 1>::v + spin<N>(); };\n"
        "template <> struct T<0> { static constexpr long v = 0; };\n"
        "int main() { return T<800>::v > 0; }\n"
    )
    started = time.time()
    limits = Limits(timeout=2.0, compile_timeout=3.0)
    result = box.run(Program(endless, language="cpp", limits=limits))
    assert result.outcome is Outcome.TIMED_OUT
    assert result.reason == "compile timeout after 3 s"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _compilers_since(started):
        time.sleep(0.05)
    assert _compilers_since(started) == []


def _compilers_since(started: float) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "create_time"]):
        if proc.info["name"] in ("cc1plus", "g++") and proc.info["create_time"] >= started - 1:
            found.append(proc)
    return found


@pytest.mark.parametrize("lang_name", ["cpp", "bash"])
def test_without_bubblewrap_the_launcher_still_cleans_up(lang_name, token):
    """The fallback: a compiled and an interpreted language, as a fresh uid, every process killed after."""
    if (why := langs.LANGUAGES[lang_name].unavailable()) is not None:
        pytest.skip(why)
    sandbox = Sandbox(LIMITS, mode="none")
    assert sandbox.run(_program(lang_name, *RIGHT[lang_name])).outcome is Outcome.PASSED
    assert sandbox.run(_wrong(lang_name)).outcome is Outcome.FAILED
    result = sandbox.run(_program(lang_name, *_bomb(lang_name, token)))
    assert result.outcome in (Outcome.TIMED_OUT, Outcome.FAILED, Outcome.CRASHED)
    assert_no_process_left(token)
