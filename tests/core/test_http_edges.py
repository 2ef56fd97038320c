"""HTTP as clients, CDNs and link checkers expect it: HEAD, compression, tracking params, 415."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

GET_PATHS = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/static/docs/swagger-ui.css",
    "/v1/articles",
    "/v1/entities",
    "/v1/tags",
    "/v1/search?q=mali",
    "/v1/changes",
    "/v1/feeds/articles.rss",
    "/v1/feeds/articles.atom",
    "/v1/feeds/articles.json",
]


def _without_volatile(headers: httpx.Headers) -> dict[str, str]:
    volatile = {"x-request-id", "date", "ratelimit-reset", "content-length"}
    return {k: v for k, v in headers.items() if k not in volatile}


@pytest.mark.parametrize("path", GET_PATHS)
async def test_every_get_answers_head_with_the_same_headers_and_no_body(
    seeded: dict[str, Any], anon: httpx.AsyncClient, path: str
) -> None:
    got = await anon.get(path)
    head = await anon.head(path)
    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    if path != "/metrics":  # counts the GET just made
        assert _without_volatile(head.headers) == _without_volatile(got.headers)


async def test_head_of_an_article_revalidates_and_404s_like_get(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    url = f"/v1/articles/{seeded['slug']}"
    head = await anon.head(url)
    assert head.headers["etag"] == (await anon.get(url)).headers["etag"]
    assert head.headers["content-length"] == (await anon.get(url)).headers["content-length"]
    again = await anon.head(url, headers={"If-None-Match": head.headers["etag"]})
    assert again.status_code == 304
    assert (await anon.head("/v1/articles/no-such-story")).status_code == 404


async def test_head_of_a_post_only_path_is_405(anon: httpx.AsyncClient) -> None:
    response = await anon.head("/v1/extract")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_large_answers_are_gzipped_when_the_client_allows(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    url = f"/v1/articles/{seeded['slug']}"
    async with anon.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    vary = [name.strip() for name in response.headers["vary"].split(",")]
    assert vary.count("Accept-Encoding") == 1
    assert int(response.headers["content-length"]) == len(raw)
    plain = await anon.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content
    assert plain.headers["vary"] == response.headers["vary"]
    assert len(raw) < len(plain.content)
    # The validator still revalidates a compressed copy.
    etag = response.headers["etag"]
    assert plain.headers["etag"] == etag
    cached = await anon.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert cached.status_code == 304


async def test_the_same_answer_is_gzipped_to_the_same_bytes_and_streams_still_compress(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    url = f"/v1/articles/{seeded['slug']}"

    async def raw(path: str) -> tuple[httpx.Response, bytes]:
        async with editor.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
            return response, b"".join([chunk async for chunk in response.aiter_raw()])

    (first, once), (_second, again) = await raw(url), await raw(url)
    assert first.headers["content-encoding"] == "gzip"
    assert once == again
    assert gzip.decompress(once) == (await editor.get(url)).content
    # A file is sent in pieces, each compressed as it goes.
    css = "/static/docs/swagger-ui.css"
    streamed, pieces = await raw(css)
    assert streamed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(pieces) == (await editor.get(css)).content


async def test_small_answers_are_not_compressed(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


async def test_an_etag_from_a_compressed_get_works_as_if_match(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    url = f"/v1/articles/{seeded['slug']}"
    got = await editor.get(url, headers={"Accept-Encoding": "gzip"})
    assert got.headers["content-encoding"] == "gzip"
    patched = await editor.patch(
        url, json={"title": "New title"}, headers={"If-Match": got.headers["etag"]}
    )
    assert patched.status_code == 200, patched.text


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=newsletter&utm_medium=email&utm_campaign=june",
        "fbclid=IwAR0abc",
        "gclid=Cj0KCQ",
        "_=1718000000000",
    ],
)
@pytest.mark.parametrize("path", ["/v1/articles", "/v1/feeds/articles.rss", "/v1/search?q=mali"])
async def test_tracking_and_cache_buster_params_are_ignored(
    seeded: dict[str, Any], anon: httpx.AsyncClient, path: str, query: str
) -> None:
    joiner = "&" if "?" in path else "?"
    tracked = await anon.get(f"{path}{joiner}{query}")
    assert tracked.status_code == 200, tracked.text


async def test_tracking_params_do_not_change_the_list(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    plain = (await anon.get("/v1/articles")).json()
    tracked = (await anon.get("/v1/articles?utm_source=x&_=1")).json()
    assert tracked["data"] == plain["data"]
    assert tracked["meta"] == plain["meta"]


async def test_a_misspelt_filter_is_still_422(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/v1/articles?utm_source=x&sectoin=world")
    assert response.status_code == 422
    assert response.json()["detail"] == "Unknown query parameter: sectoin."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/articles"),
        ("POST", "/v1/entities"),
        ("POST", "/v1/tags"),
        ("POST", "/v1/extract"),
        ("PATCH", "/v1/articles/{slug}"),
        ("PUT", "/v1/articles/{slug}"),
    ],
)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_in_another_media_type_is_415(
    seeded: dict[str, Any], editor: httpx.AsyncClient, method: str, path: str, content_type: str
) -> None:
    response = await editor.request(
        method,
        path.format(slug=seeded["slug"]),
        content=b'{"title": "x"}',
        headers={"content-type": content_type},
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert content_type in response.json()["detail"]
    if method == "PATCH":
        assert "application/merge-patch+json" in response.headers["accept-patch"]


async def test_json_media_types_are_read(seeded: dict[str, Any], editor: httpx.AsyncClient) -> None:
    created = await editor.post(
        "/v1/articles",
        content=b'{"title": "Typed"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201, created.text
    patched = await editor.patch(
        f"/v1/articles/{seeded['slug']}",
        content=b'{"title": "Merged"}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["title"] == "Merged"


async def test_bulk_still_takes_ndjson_and_refuses_text(editor: httpx.AsyncClient) -> None:
    ndjson = await editor.post(
        "/v1/articles:bulk",
        content=b'{"title": "One", "slug": "one"}\n',
        headers={"content-type": "application/x-ndjson"},
    )
    assert ndjson.status_code == 200, ndjson.text
    text = await editor.post(
        "/v1/articles:bulk", content=b"One", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 415
