"""A pressed button under a result: who pressed it, where, and the ids its value carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.slack.cards import button_value
from adapters.slack.context import Place, Services, interactive_place, notify
from bot.errors import BadRequest

BAD_BUTTON = BadRequest("That button is damaged or too old.", then="Start a new /imagine.")


@dataclass(frozen=True)
class Pressed:
    """A pressed button: who and where, the press's own id, the button, the result's ledger
    id and its file ids."""

    place: Place
    key: str
    action_id: str
    request_id: str
    file_ids: tuple[str, ...]

    @property
    def press(self) -> str:
        """The button and the result it sits under."""
        return f"{self.action_id}:{self.request_id}"


async def pressed(svc: Services, body: dict[str, Any], *, needs_files: bool) -> Pressed | None:
    """The pressed button, or None after telling the person it is damaged."""
    place = interactive_place(body)
    action = (body.get("actions") or [{}])[0]
    try:
        request_id, file_ids = button_value(str(action.get("value", "")))
    except (ValueError, KeyError, TypeError):
        request_id, file_ids = "", ()
    if not request_id or (needs_files and not file_ids):
        await notify(svc, place, BAD_BUTTON.message)
        return None
    key = f"slack:press:{action.get('action_ts')}:{body.get('trigger_id')}"
    return Pressed(place, key, str(action.get("action_id", "")), request_id, file_ids)
