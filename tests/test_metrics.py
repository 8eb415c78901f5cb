"""The bot's HTTP server, over real HTTP on 127.0.0.1: /metrics behind IMAGINE_METRICS_TOKEN,
rendered by prometheus-client on a registry per app; /healthz and /readyz open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.entry.run import http_app
from bot.entry.wiring import open_app
from bot.metrics import Metrics
from bot.models import Actor, ImageRequest, Options
from tests.support import make_settings

TOKEN = "metrics-7f3a-SECRET"
FAMILIES = {
    "imagine_requests": "counter",
    "imagine_images": "counter",
    "imagine_cost_usd": "counter",
    "imagine_gateway_retries": "counter",
    "imagine_gateway_seconds": "histogram",
    "imagine_queue_depth": "gauge",
    "imagine_in_flight": "gauge",
    "process_resident_memory_bytes": "gauge",
}


@asynccontextmanager
async def serving(tmp_path: Path, **env: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The bot's aiohttp app (offline, no platforms) on a free port, and a client for it."""
    settings = make_settings(tmp_path, IMAGINE_OFFLINE=True, **env)
    async with open_app(settings) as app:
        runner = web.AppRunner(http_app(app, []), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with httpx.AsyncClient(base_url=base) as http:
                yield http, app
        finally:
            await runner.cleanup()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    async with serving(tmp_path, IMAGINE_METRICS_TOKEN=TOKEN) as (http, _):
        bare = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer metrics-7f3a"})
        basic = await http.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        good = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        health = await http.get("/healthz")
        ready = await http.get("/readyz")

    for refused in (bare, wrong, basic):
        assert (refused.status_code, refused.text) == (401, "unauthorized\n")
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert TOKEN not in refused.text
    assert good.status_code == 200 and "imagine_requests_total" in good.text
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")


async def test_metrics_are_prometheus_client_expositions_with_every_family(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as (http, app):
        who = Actor("cli", "local", "local", "alice")
        req = ImageRequest("generate", "a fox", who, "key-1", Options(n=2))
        await app.handler.generate(req)
        text = await http.get("/metrics")
        open_metrics = await http.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )

    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain; version=")
    kinds = {f.name: f.type for f in text_string_to_metric_families(text.text)}
    assert FAMILIES.items() <= kinds.items()
    found = samples(text.text)
    labels = (("kind", "generate"), ("outcome", "succeeded"), ("platform", "cli"))
    assert found[("imagine_requests_total", labels)] == 1
    assert found[("imagine_images_total", (("platform", "cli"),))] == 2
    assert found[("imagine_gateway_seconds_count", ())] == 1
    assert found[("imagine_gateway_retries_total", ())] == 0
    assert found[("imagine_in_flight", ())] == 0
    assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
    assert open_metrics.text.endswith("# EOF\n")


def test_each_metrics_has_its_own_registry_and_escapes_labels() -> None:
    first, second = Metrics(), Metrics()
    first.request_finished('sl"ack\\\n', "generate", "succeeded", 1, 0.25)
    first.gauge("imagine_in_flight", "Requests running.", lambda: 3)
    first.gauge("imagine_in_flight", "Requests running.", lambda: 4)  # a second handler's

    one = samples(first.render()[0].decode())
    two = samples(second.render()[0].decode())

    assert one[("imagine_cost_usd_total", (("platform", 'sl"ack\\\n'),))] == 0.25
    assert one[("imagine_in_flight", ())] == 4
    assert not any(name == "imagine_cost_usd_total" for name, _ in two)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"Bearer {TOKEN}x", False),
        (f"Bearer{TOKEN}", False),
        ("", False),
        ("Bearer", False),
        (f"Token {TOKEN}", False),
    ],
)
async def test_only_the_exact_bearer_token_opens_metrics(
    tmp_path: Path, header: str, ok: bool
) -> None:
    async with serving(tmp_path, IMAGINE_METRICS_TOKEN=TOKEN) as (http, _):
        answer = await http.get("/metrics", headers={"Authorization": header} if header else {})
    assert answer.status_code == (200 if ok else 401)
