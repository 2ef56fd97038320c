"""Prometheus metrics: labelled by route template, one registry per app, pool gauges."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from app.main import create_app
from tests.conftest import Backend, make_settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, method: str, route: str, status: int) -> float:
    return value(
        samples, "lede_http_requests_total", method=method, route=route, status=str(status)
    )


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    for title in ("First Story", "Second Story"):
        response = await editor.post("/v1/articles", json={"title": title, "status": "published"})
        assert response.status_code == 201
    before = await scrape(anon)
    for slug in ("first-story", "second-story", "no-such-story"):
        await anon.get(f"/v1/articles/{slug}")
    await anon.get("/v1/articles")
    await anon.get("/no/such/path")
    await anon.delete("/healthz")
    await anon.request("BREW", "/v1/articles")
    await anon.get("/static/docs/swagger-ui.css")
    after = await scrape(anon)

    def delta(method: str, route: str, status: int) -> float:
        return requests(after, method, route, status) - requests(before, method, route, status)

    assert delta("GET", "/v1/articles/{ref}", 200) == 2
    assert delta("GET", "/v1/articles/{ref}", 404) == 1
    assert delta("GET", "/v1/articles", 200) == 1
    assert delta("GET", "unmatched", 404) == 1
    assert delta("DELETE", "/healthz", 405) == 1
    assert delta("OTHER", "/v1/articles", 405) == 1
    assert delta("GET", "/static/docs/{path}", 200) == 1
    assert delta("GET", "/metrics", 200) == 1
    routes = {dict(labels).get("route") for _name, labels in after}
    assert not {r for r in routes if r and ("story" in r or "no/such" in r)}

    def observed(route: str) -> float:
        name = "lede_http_request_duration_seconds_count"
        return value(after, name, method="GET", route=route) - value(
            before, name, method="GET", route=route
        )

    assert observed("/v1/articles/{ref}") == 3
    assert value(
        after, "lede_http_request_duration_seconds_sum", method="GET", route="/v1/articles"
    )
    # The scrape itself is the request in progress.
    assert value(after, "lede_http_requests_in_progress", method="GET") == 1
    assert value(after, "lede_http_requests_in_progress", method="DELETE") == 0


async def test_database_pool_gauges_are_read_at_scrape_time(
    backend: Backend, anon: httpx.AsyncClient
) -> None:
    pool = backend.database.engine.pool
    assert isinstance(pool, QueuePool)
    samples = await scrape(anon)
    assert value(samples, "lede_db_pool_size") == pool.size() >= 1
    idle = value(samples, "lede_db_pool_checked_out")
    async with backend.database.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
        busy = value(await scrape(anon), "lede_db_pool_checked_out")
    assert busy == idle + 1


async def test_metrics_stay_out_of_the_openapi_schema(anon: httpx.AsyncClient) -> None:
    schema = (await anon.get("/openapi.json")).json()
    assert "/metrics" not in schema["paths"]
    assert "/healthz" in schema["paths"]


async def test_every_app_keeps_its_own_registry() -> None:
    """Two apps in one process register the same metric names without clashing."""
    first, second = (create_app(make_settings("sqlite:///unused.db")) for _ in range(2))
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        for app in (first, second)
    ]
    async with clients[0] as one, clients[1] as two:
        for _ in range(3):
            assert (await one.get("/healthz")).status_code == 200
        assert (await two.get("/healthz")).status_code == 200
        assert requests(await scrape(one), "GET", "/healthz", 200) == 3
        two_samples = await scrape(two)
    assert first.state.metrics.registry is not second.state.metrics.registry
    assert requests(two_samples, "GET", "/healthz", 200) == 1
    # No database was opened for these apps, so there is no pool to report.
    assert ("lede_db_pool_size", frozenset()) not in two_samples
