"""The Docker set-up as a user runs it: stops gracefully, builds from a clean context."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

from app.cli import DRAIN_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def test_compose_waits_longer_than_the_drain() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    match = re.search(r"^    stop_grace_period: (\d+)s$", compose, re.MULTILINE)
    assert match, "the lede service needs a stop_grace_period"
    assert int(match.group(1)) > DRAIN_SECONDS


def test_dockerignore_keeps_local_state_out_and_what_the_image_copies_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch(path, p) or path.startswith(p.rstrip("/") + "/") for p in patterns)

    for local in (".venv/bin/python", "var/lede.db", ".git/HEAD", ".env", "tests/conftest.py"):
        assert ignored(local), local
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [
        source
        for line in re.findall(r"^COPY (.+)$", dockerfile, re.MULTILINE)
        for source in line.split()[:-1]
    ]
    assert copied
    for source in copied:
        assert not ignored(source), source
        assert (ROOT / source).exists(), source
