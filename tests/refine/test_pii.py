"""Copyright-header removal and PII redaction on realistic snippets, with negatives and idempotence."""

import pytest

from opencoder.refine.pii import Rewriter, strip_copyright_header


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
