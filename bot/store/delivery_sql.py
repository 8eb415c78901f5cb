"""The SQL of made images on their way to people, which both stores run word for word.

A succeeded row's `delivery` goes 'pending' (kept, a delivery under way) -> 'delivered'
(its kept images are deleted in the same transaction) or 'undelivered' (kept until the
retention ends); "Deliver again" claims an 'undelivered' row back to 'pending', so only one
delivery of it runs at a time, across processes too. The states are documented in
migrations/sqlite/0003_kept_results.sql.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import GeneratedImage
from bot.store.sql import THIS_MONTH, TODAY

# A person's own figures (and their limits) count what they received.
RECEIVED = "COALESCE(delivery, '') <> 'undelivered'"
# What a scope was billed for images nobody received, today and this month.
UNDELIVERED_TOTALS = (
    f"SELECT COALESCE(SUM(CASE WHEN {TODAY} THEN images_delivered ELSE 0 END), 0), "
    f"COALESCE(SUM(CASE WHEN {TODAY} THEN est_cost_usd ELSE 0.0 END), 0.0), "
    "COALESCE(SUM(images_delivered), 0), COALESCE(SUM(est_cost_usd), 0.0) "
    f"FROM usage WHERE {{where}} AND {THIS_MONTH} "
    "AND status = 'succeeded' AND delivery = 'undelivered'"
)

KEEP = (
    "INSERT INTO kept_results (usage_id, idx, filename, mime_type, width, height, data, "
    "created_at) VALUES (:usage_id, :idx, :filename, :mime_type, :width, :height, :data, :now)"
)
KEPT = (
    "SELECT filename, mime_type, width, height, data FROM kept_results "
    "WHERE usage_id = :id ORDER BY idx"
)
# Also after a delivery was given up on as stale: the person has the images after all.
DELIVERED = (
    "UPDATE usage SET delivery = 'delivered', delivery_at = :now "
    "WHERE id = :id AND delivery IN ('pending', 'undelivered')"
)
FORGET_KEPT = "DELETE FROM kept_results WHERE usage_id = :id"
UNDELIVERED = (
    "UPDATE usage SET delivery = 'undelivered', delivery_at = :now "
    "WHERE id = :id AND delivery = 'pending'"
)
CLAIM = (
    "UPDATE usage SET delivery = 'pending', delivery_at = :now "
    "WHERE id = :id AND delivery = 'undelivered'"
)
# A delivery pending since before :before belongs to a process that stopped mid-way.
GIVE_UP = (
    "UPDATE usage SET delivery = 'undelivered', delivery_at = :now "
    "WHERE delivery = 'pending' AND delivery_at < :before"
)
PURGE_KEPT = "DELETE FROM kept_results WHERE created_at < :before"


def keep_params(
    entry_id: str, images: Sequence[GeneratedImage], now: datetime
) -> list[dict[str, Any]]:
    """The parameters of KEEP, one set per image."""
    return [
        {
            "usage_id": entry_id,
            "idx": index,
            "filename": image.filename,
            "mime_type": image.mime_type,
            "width": image.width,
            "height": image.height,
            "data": image.data,
            "now": now,
        }
        for index, image in enumerate(images)
    ]


def kept_from_rows(rows: Sequence[Sequence[Any]]) -> tuple[GeneratedImage, ...]:
    """Kept images from rows of KEPT, in order."""
    return tuple(
        GeneratedImage(bytes(data), mime_type, filename, width, height)
        for filename, mime_type, width, height, data in rows
    )
