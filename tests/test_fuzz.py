"""Property-based fuzzing of every operation in Lede's own OpenAPI document.

Schemathesis runs against a real server (uvicorn, SQLite) with a fixed seed and a
bounded number of examples: no 5xx, and every response matches its declared
status codes, content types and schema.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def test_schemathesis_finds_no_server_error_and_no_schema_breach(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LEDE_DATABASE_URL": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "LEDE_RATE_LIMIT_PER_MINUTE": "0",
        "LEDE_LOG_LEVEL": "error",
    }
    subprocess.run([BIN / "lede", "migrate"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [BIN / "lede", "keys", "create", "--role", "admin", "--name", "fuzz"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [BIN / "lede", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        run = subprocess.run(
            [
                BIN / "st",
                "run",
                f"http://127.0.0.1:{port}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                "8",
                "--seed",
                "20261127",
                "--workers",
                "1",
                "--request-timeout",
                "30",
            ],
            capture_output=True,
            text=True,
            timeout=400,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    summary = run.stdout[run.stdout.rfind("SUMMARY") :]
    tested = re.search(r"Tested: (\d+)", summary)
    generated = re.search(r"(\d+) generated", summary)
    print(
        f"\nschemathesis: {tested.group(1) if tested else '?'} operations, "
        f"{generated.group(1) if generated else '?'} examples"
    )
    assert run.returncode == 0, run.stdout[-8000:]
