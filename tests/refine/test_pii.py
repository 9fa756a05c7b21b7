"""Copyright-header removal and PII redaction on realistic snippets, with negatives and idempotence."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pii_positives import CONFIG_POSITIVES, POSITIVES

from opencoder.refine.pii import ANY_GATE, GATES, LINE_GATE, LINE_STEPS, STEPS, Rewriter, strip_copyright_header


def redact(text: str) -> tuple[str, dict]:
    rewriter = Rewriter()
    return rewriter.redact(text), dict(rewriter.counts)


C_HEADER = """/*
 * Copyright Intel Corporation (C) 2014-2016
 * SPDX-License-Identifier: MIT
 */

/* Ring buffer helpers. */
#include <stdint.h>
"""


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (C_HEADER, "c", "/* Ring buffer helpers. */\n#include <stdint.h>\n"),
        (
            "#!/usr/bin/env python\n# Copyright 2020 Jane Roe\n# Licensed under the MIT License\n\nimport os\n",
            "python",
            "#!/usr/bin/env python\nimport os\n",
        ),
        ('"""Copyright (c) 2019 ACME Inc. All rights reserved."""\nx = 1\n', "python", "x = 1\n"),
        (
            "// Copyright 2018 The Go Authors.\n// Use of this source code is governed by a BSD-style license.\n\n"
            "package main\n",
            "go",
            "package main\n",
        ),
        ("-- (c) 2011 Example Ltd\nSELECT 1;\n", "sql", "SELECT 1;\n"),
        ("<!-- Copyright 2015 W3C -->\n<html></html>\n", "html", "<html></html>\n"),
    ],
)
def test_copyright_headers_are_removed(text, lang, expected):
    new, blocks = strip_copyright_header(text, lang)
    assert new == expected and blocks == 1
    assert strip_copyright_header(new, lang) == (new, 0)  # idempotent


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("# A helper for parsing.\nimport os\n", "python"),  # a leading comment without a notice stays
        ("#include <stdio.h>\n/* Copyright 2020 X */\n", "c"),  # "#include" is code in C: no header there
        ("x = 1\n# Copyright 2020 X\n", "python"),  # not leading
        ("# Copyright 2020 X\nx = 1\n", "fortran"),  # unknown comment syntax: left alone
    ],
)
def test_copyright_negatives(text, lang):
    assert strip_copyright_header(text, lang) == (text, 0)


def test_emails():
    new, counts = redact('AUTHOR = "Jane Roe <jane.roe@gmail.com>"  # or j.roe+git@mail.example.co.uk\n')
    assert new == 'AUTHOR = "Jane Roe <<EMAIL>>"  # or <EMAIL>\n'
    assert counts == {"pii_email": 2}


@pytest.mark.parametrize(
    "text",
    ['img = "icon@2x.png"', "y = x@self.weight", "@decorator.attr", 'dep = "@babel/core"', "print(a @ b.T)"],
)
def test_email_negatives(text):
    assert redact(text) == (text, {})


def test_ip_addresses():
    text = 'DNS = "8.8.8.8"\nserver 203.0.113.7 is internal\nADDR6 = "2a00:1450:4001:81b::200e"\n'
    new, counts = redact(text)
    assert new == 'DNS = "<IP_ADDRESS>"\nserver 203.0.113.7 is internal\nADDR6 = "<IP_ADDRESS>"\n'
    assert counts == {"pii_ip_address": 2}  # 203.0.113.0/24 is a documentation range, not a real address


@pytest.mark.parametrize(
    "text",
    [
        '__version__ = "1.2.3.4"',
        '"version": "4.0.30319.42000"',
        '[assembly: AssemblyVersion("2.1.0.0")]',
        "requests==2.31.0.1",
        "Released v10.4.2.1 today",
        'bind = "127.0.0.1"; mask = "255.255.255.0"; any = "0.0.0.0"; lan = "192.168.1.20"',
        "oid 1.3.6.1.4.1.311",
        "std::vector<int> v; t = '12:30:45'; mac = 'aa:bb:cc:dd:ee:ff'",
        "dead::beef",
        "٨.٨.٨.٨ or ١٩٢.٠.٢.١",  # Arabic-Indic digits: re's \\d takes them, ipaddress refuses them
    ],
)
def test_ip_negatives(text):
    assert redact(text) == (text, {})


def test_secrets():
    text = (
        'password = "hunter2"\n'
        "DB_PASSWORD: 'Tr0ub4dor&3'\n"
        'url = "postgres://admin:s3cr3t@db.internal/app"\n'
        'aws_key = "AKIAIOSFODNN7EXAMPLE"\n'
        'GH = "ghp_0123456789abcdefghijABCDEFGHIJ012345"\n'
        'slack = "xoxb-1234567890-abcdefghijkl"\n'
        'api_key = "a8F3kd92LmQ0zX7pR4tY6wE1"\n'
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    new, counts = redact(text)
    assert new == (
        'password = "<PASSWORD>"\n'
        "DB_PASSWORD: '<PASSWORD>'\n"
        'url = "postgres://admin:<PASSWORD>@db.internal/app"\n'
        'aws_key = "<KEY>"\n'
        'GH = "<KEY>"\n'
        'slack = "<KEY>"\n'
        'api_key = "<KEY>"\n'
        "<KEY>\n"
    )
    assert counts == {"pii_password": 3, "pii_key": 5}
    assert redact(new) == (new, {})  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "Enter the password to continue.",  # prose, no value
        'print("the password is wrong")',
        "password = getpass()",  # a call, not a literal
        'password = "%s" % value',  # a format placeholder
        'compass = "north"',  # "pass" inside another word
        'token = "not-a-secret-word"',  # a key name, but the value is not random
        'api_key = os.environ["API_KEY"]',
    ],
)
def test_secret_negatives(text):
    assert redact(text) == (text, {})


CONFIG_FILES = [
    (
        "yaml",
        "database:\n  user: app\n  password: hunter2   # rotate monthly\n  api_token: f8Kd02LmQ9zX7pR4tY6w\n"
        "  - db_pass: S3cr3t!x\n",
        "database:\n  user: app\n  password: <PASSWORD>   # rotate monthly\n  api_token: <KEY>\n"
        "  - db_pass: <PASSWORD>\n",
    ),
    (
        "ini",
        "[mysql]\nuser = root\npassword = my secret pass ; legacy\n",
        "[mysql]\nuser = root\npassword = <PASSWORD> ; legacy\n",
    ),
    ("java properties", "spring.datasource.password=Tr0ub4dor&3\n", "spring.datasource.password=<PASSWORD>\n"),
    ("shell", "export DB_PASSWORD=hunter2\nENV=prod\n", "export DB_PASSWORD=<PASSWORD>\nENV=prod\n"),
    (
        "dockerfile",
        "FROM python:3.12\nENV SECRET_KEY=9fK2mL0qZx7Rt4Yw8Pv3\n",
        "FROM python:3.12\nENV SECRET_KEY=<KEY>\n",
    ),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CONFIG_FILES)
def test_unquoted_values_in_config_files(lang, text, expected):
    rewriter = Rewriter()
    new = rewriter.redact(text, lang=lang)
    assert new == expected
    assert sum(rewriter.counts.values()) == expected.count("<PASSWORD>") + expected.count("<KEY>")
    assert Rewriter().redact(new, lang=lang) == new  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "password: ${DB_PASSWORD}\n",  # a reference, not a value
        "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n",  # a YAML tag
        "password:\n  file: /run/secrets/db\n",  # a mapping follows, no value on the line
        "require_password: true\n",  # a YAML literal
        "token_ttl: 3600\n",  # a key-like name, but the value is not random
        "passwords_dir = /etc/app\n",  # "passwords" is not a password word part
    ],
)
def test_config_negatives(text):
    assert redact_config(text) == text


def test_unquoted_values_only_in_config_languages():
    text = "password = getpass()\nkey = make_key(seed)\n"
    for lang in ("python", "ruby", None):
        assert Rewriter().redact(text, lang=lang) == text
    assert Rewriter().redact(text, lang="ini") == "password = <PASSWORD>\nkey = make_key(seed)\n"


def redact_config(text: str) -> str:
    return Rewriter().redact(text, lang="yaml")


def _re2_matches(pattern: str, text: str) -> bool:
    """The gates run in RE2 (pyarrow), whose syntax and classes differ from Python's re: test them there."""
    return pc.match_substring_regex(pa.array([text]), pattern)[0].as_py()


@pytest.mark.parametrize(
    ("text", "lang"), [(t, None) for t in POSITIVES] + [(t, "yaml") for t in CONFIG_POSITIVES], ids=repr
)
def test_every_gate_takes_the_real_positives_of_its_step(text, lang):
    """A step's gate may skip only what the step leaves unchanged: for each step that rewrites a real positive,
    its gate and the combined gate match the text, and (line steps) each line the step rewrites."""
    changed = [step for step in STEPS if Rewriter().redact(text, steps=[step], lang=lang) != text]
    assert changed, "not a positive"
    assert _re2_matches(ANY_GATE, text)
    for step in changed:
        assert _re2_matches(GATES[step], text), step
        if step in LINE_STEPS:
            lines = [line for line in text.split("\n") if Rewriter().redact(line, steps=[step], lang=lang) != line]
            assert lines and all(_re2_matches(GATES[step], line) and _re2_matches(LINE_GATE, line) for line in lines)


def test_quoted_local_parts_are_e_mail_addresses():
    new, counts = redact('To: <"jane roe"@example.org>, x = ""j.doe"@example.com"')
    assert new == 'To: <<EMAIL>>, x = "<EMAIL>"' and counts == {"pii_email": 2}
    assert redact('s = "\\"q"@example.com"')[1] == {}  # an escaped quote inside a string opens no local part
