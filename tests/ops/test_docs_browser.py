"""The interactive docs render in a real browser that cannot reach the internet.

Lede runs under uvicorn on a localhost port; Debian's headless chromium loads
/docs and /redoc with every host name but 127.0.0.1 made unresolvable, and the
DOM it renders must list the API's operations. Without /usr/bin/chromium
(`apt-get install chromium`) the browser tests are skipped, unless
LEDE_REQUIRE_BROWSER=1 says a browser must be there.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.core.migrations import upgrade
from app.main import create_app
from tests.conftest import make_settings

CHROMIUM = Path("/usr/bin/chromium")
EXTERNAL_URL = re.compile(r"(?:https?:)?//[^\s\"'<>]+", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Lede on a free localhost port, served by uvicorn from a thread."""
    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'lede.db'}"
    upgrade(url)
    config = uvicorn.Config(
        create_app(make_settings(url)), log_level="warning", access_log=False, lifespan="on"
    )
    uvicorn_server = uvicorn.Server(config)
    # Bound here and handed over, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not uvicorn_server.started:
            assert thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"no headless browser at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("LEDE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LEDE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


def rendered_dom(browser: Path, url: str, profile: Path) -> str:
    result = subprocess.run(
        [
            str(browser),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # The internet is out of reach: only the Lede under test resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_elsewhere(server: str, page: str) -> None:
    with httpx.Client(base_url=server) as client:
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert EXTERNAL_URL.findall(response.text) == []
        assets = ASSET.findall(response.text)
        assert assets
        for asset in assets:
            assert asset.startswith("/static/docs/"), asset
            served = client.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 100, asset


def test_swagger_ui_renders_the_operations_offline(
    server: str, chromium: Path, tmp_path: Path
) -> None:
    dom = rendered_dom(chromium, f"{server}/docs", tmp_path)
    operations = re.findall(r'class="opblock opblock-(get|post|put|patch|delete)\b', dom)
    assert len(operations) >= 10, dom[-2000:]
    assert {"get", "post", "put", "patch", "delete"} <= set(operations)
    assert 'data-path="/v1/articles"' in dom
    assert 'data-path="/v1/feeds/articles.rss"' in dom
    assert 'data-path="/metrics"' not in dom


def test_redoc_renders_the_operations_offline(server: str, chromium: Path, tmp_path: Path) -> None:
    dom = rendered_dom(chromium, f"{server}/redoc", tmp_path)
    assert len(re.findall(r'class="[^"]*http-verb get', dom)) >= 5, dom[-2000:]
    assert "/v1/articles" in dom
