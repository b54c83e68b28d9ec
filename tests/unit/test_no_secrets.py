"""No secret is committed: no private key, token or password in any tracked file. The only
credentials in the repository are the demo's, which are documented as such."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SECRETS = {
    "a private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "an AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "a Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "a password in a URL": re.compile(
        r"\b(?:postgres(?:ql)?|redis|amqp)://[^:/@\s]+:(?!password@)[^@\s/]{4,}@"
    ),
    # A whole key written out (a test's obviously made-up one is built from parts).
    "a literal Django secret key": re.compile(
        r"""SECRET_KEY\s*=\s*["'][^"']{20,}["']\s*,?\s*(?:#.*)?$""", re.MULTILINE
    ),
}
# Files that talk about secrets without holding one (the patterns themselves, and this test's).
ALLOWED = {"tests/unit/test_no_secrets.py"}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name and name not in ALLOWED]


def test_no_tracked_file_holds_a_secret():
    found = []
    files = tracked_files()
    assert len(files) > 100  # the listing really is the repository
    for path in files:
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        found += [
            f"{path.relative_to(ROOT)}: {what}" for what, pattern in SECRETS.items() if pattern.search(text)
        ]
    assert found == []


def test_the_scan_recognises_what_it_looks_for():
    samples = {
        "a private key": "-----BEGIN RSA PRIVATE KEY-----",
        "an AWS key": "key = AKIAABCDEFGHIJKLMNOP",
        "a GitHub token": "ghp_" + "a1" * 18,
        "a Slack token": "xoxb-1234567890-abc",
        "a password in a URL": "postgres://capa:s3cr3t-pw@db.example.nhs.uk/capa",
        "a literal Django secret key": "SECRET_KEY = 'django-insecure-abcdefghijklmnopqrstuvwxyz'",
    }
    for what, sample in samples.items():
        assert SECRETS[what].search(sample), what
    assert not SECRETS["a password in a URL"].search("postgres://capa:password@db.example.nhs.uk:5432/capa")
