"""A few Prometheus metrics, kept in memory and rendered in the text exposition format."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable

LATENCY_BUCKETS = (0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)


class Metrics:
    """Counters and one latency histogram; gauges are read from callbacks when rendered."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.images: Counter[str] = Counter()
        self.cost_usd: dict[str, float] = {}
        self.retries = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def request_finished(
        self, platform: str, kind: str, outcome: str, images: int, cost_usd: float
    ) -> None:
        """Count one settled request."""
        self.requests[(platform, kind, outcome)] += 1
        self.images[platform] += images
        self.cost_usd[platform] = self.cost_usd.get(platform, 0.0) + cost_usd

    def gateway_call(self, seconds: float) -> None:
        """Observe one gateway call's wall time."""
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds

    def gateway_retry(self) -> None:
        """Count one retried gateway attempt."""
        self.retries += 1

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Report a value read at render time (queue depth, in flight, readiness)."""
        self.gauges[name] = (help_text, read)

    def render(self) -> str:
        """The text exposition format."""
        out = _family("imagine_requests_total", "counter", "Requests by outcome.")
        for (platform, kind, outcome), count in sorted(self.requests.items()):
            labels = f'platform="{platform}",kind="{kind}",outcome="{outcome}"'
            out.append(f"imagine_requests_total{{{labels}}} {count}")
        out += _family("imagine_images_total", "counter", "Images delivered.")
        out += [
            f'imagine_images_total{{platform="{p}"}} {n}' for p, n in sorted(self.images.items())
        ]
        out += _family("imagine_cost_usd_total", "counter", "Estimated cost of delivered images.")
        out += [
            f'imagine_cost_usd_total{{platform="{p}"}} {c:.6f}'
            for p, c in sorted(self.cost_usd.items())
        ]
        out += _family("imagine_gateway_retries_total", "counter", "Retried gateway attempts.")
        out.append(f"imagine_gateway_retries_total {self.retries}")
        out += self._histogram()
        for name, (help_text, read) in sorted(self.gauges.items()):
            out += _family(name, "gauge", help_text)
            out.append(f"{name} {read():g}")
        return "\n".join(out) + "\n"

    def _histogram(self) -> list[str]:
        name = "imagine_gateway_seconds"
        out = _family(name, "histogram", "Gateway call latency.")
        running = 0
        for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=False):
            running += count
            out.append(f'{name}_bucket{{le="{bound:g}"}} {running}')
        total = sum(self.latency_counts)
        out.append(f'{name}_bucket{{le="+Inf"}} {total}')
        out.append(f"{name}_sum {self.latency_sum:.3f}")
        out.append(f"{name}_count {total}")
        return out


def _family(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
