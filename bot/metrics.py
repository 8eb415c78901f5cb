"""The bot's Prometheus metrics, on a registry of their own, rendered by prometheus-client.

Each `Metrics` holds its own `CollectorRegistry` (never the library's global one), so several
handlers in one process, and the tests, never collide. The process collectors (CPU, memory,
open files, Python's GC) are on it too. `render` negotiates the format from the scraper's
Accept header as prometheus-client does (text, or OpenMetrics when asked).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

LATENCY_BUCKETS = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)


class Metrics:
    """Counters and one latency histogram; gauges are read from callbacks when rendered."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self._requests = Counter(
            "imagine_requests_total",
            "Requests by outcome.",
            ("platform", "kind", "outcome"),
            registry=self.registry,
        )
        self._images = Counter(
            "imagine_images_total", "Images delivered.", ("platform",), registry=self.registry
        )
        self._cost = Counter(
            "imagine_cost_usd_total",
            "Estimated cost of delivered images.",
            ("platform",),
            registry=self.registry,
        )
        self._retries = Counter(
            "imagine_gateway_retries_total", "Retried gateway attempts.", registry=self.registry
        )
        self._latency = Histogram(
            "imagine_gateway_seconds",
            "Gateway call latency.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._gauges: dict[str, Gauge] = {}

    def request_finished(
        self, platform: str, kind: str, outcome: str, images: int, cost_usd: float
    ) -> None:
        """Count one settled request."""
        self._requests.labels(platform, kind, outcome).inc()
        self._images.labels(platform).inc(images)
        self._cost.labels(platform).inc(cost_usd)

    def gateway_call(self, seconds: float) -> None:
        """Observe one gateway call's wall time."""
        self._latency.observe(seconds)

    def gateway_retry(self) -> None:
        """Count one retried gateway attempt."""
        self._retries.inc()

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Report a value read at render time (queue depth, in flight, readiness)."""
        if name not in self._gauges:
            self._gauges[name] = Gauge(name, help_text, registry=self.registry)
        self._gauges[name].set_function(read)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition the scraper's Accept header asks for, and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


def bearer_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>`, compared in constant time."""
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
