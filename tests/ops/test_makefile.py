"""The README's two commands: `make run` takes a port and installs only what runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dry_run(*args: str, venv: Path) -> list[str]:
    done = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", *args, f"VENV={venv}"],
        cwd=ROOT,
        # Run from `make test`, it must not read as a sub-make of that one.
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_make_run_takes_a_port_and_installs_no_dev_tools(tmp_path: Path) -> None:
    lines = dry_run("run", "PORT=9123", venv=tmp_path / "venv")
    assert lines[-1] == f"{tmp_path}/venv/bin/lede serve --host 127.0.0.1 --port 9123"
    installs = [line for line in lines if " install " in line and "--upgrade pip" not in line]
    assert installs == [f"{tmp_path}/venv/bin/pip install --quiet -e ."]


def test_make_test_installs_the_dev_tools(tmp_path: Path) -> None:
    lines = dry_run("test", venv=tmp_path / "venv")
    assert f"{tmp_path}/venv/bin/pip install --quiet -e '.[dev]'" in lines
    assert lines[-1] == f"{tmp_path}/venv/bin/pytest -n auto"
