"""The card under a result: its text and its buttons, which carry ids only (the ledger id and
the Slack file ids), so they work after a restart.

One image (or one picked from several):     Several images:
  [Vary (Subtle)] [Vary (Strong)] [Upscale]   [Vary 1] [Vary 2] …
  [Zoom Out 1.5×] [Zoom Out 2×] [⬅] [➡] [⬆] [⬇]   [Pick 1] [Pick 2] …
  [Re-roll] [Edit] [Vary Region] [Delete]     [Re-roll] [Edit] [Delete]

Each row is its own actions block (at most 25 elements; a result has at most 10 images, so
the Vary and Pick rows hold 10), and every action_id is unique within its message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.slack.replies import MAX_SECTION, cap, details, quoted
from bot.models import Result

ACTION_VARY = "imagine_vary"
ACTION_REROLL = "imagine_reroll"
ACTION_EDIT = "imagine_edit"
ACTION_REGION = "imagine_region"
ACTION_DELETE = "imagine_delete"
ACTION_PICK = "imagine_pick"
CONTROL_PREFIX = "imagine_control_"
# each row of creative controls: (label, the control as bot/controls.py writes it, spoken name)
CONTROL_ROWS: tuple[tuple[tuple[str, str, str], ...], ...] = (
    (
        ("Vary (Subtle)", "vary subtle", "Vary (Subtle)"),
        ("Vary (Strong)", "vary strong", "Vary (Strong)"),
        ("Upscale", "upscale", "Upscale"),
    ),
    (
        ("Zoom Out 1.5×", "zoom 1.5", "Zoom out 1.5 times"),
        ("Zoom Out 2×", "zoom 2", "Zoom out 2 times"),
        ("⬅", "pan left", "Pan left"),
        ("➡", "pan right", "Pan right"),
        ("⬆", "pan up", "Pan up"),
        ("⬇", "pan down", "Pan down"),
    ),
)


def control_action(control: str) -> str:
    """The action id of a control's button ('zoom 1.5' -> 'imagine_control_zoom_1.5')."""
    return CONTROL_PREFIX + control.replace(" ", "_")


CONTROL_OF_ACTION = {
    control_action(control): control for row in CONTROL_ROWS for _, control, _ in row
}


@dataclass(frozen=True)
class CardIds:
    """What the buttons under a result need: the ledger id, result files and source files."""

    request_id: str
    file_ids: tuple[str, ...]
    source_ids: tuple[str, ...] = ()
    rerollable: bool = True  # a picked image of an edit has no sources to re-roll with


def result_card(user_id: str, result: Result, ids: CardIds) -> tuple[str, list[dict[str, Any]]]:
    """Text and blocks of the message that carries the buttons under a result."""
    what = quoted(result.prompt or "a variation", MAX_SECTION - 400)
    text = f":frame_with_picture: <@{user_id}>: {what}\n{details(result)}"
    return cap(text), card_blocks(text, ids)


def picked_text(user_id: str, index: int, prompt: str | None) -> str:
    """The text of an image picked from several (its card carries the full set of controls)."""
    what = quoted(prompt or "an earlier result", MAX_SECTION - 400)
    return f":frame_with_picture: Image {index} of {what}, picked by <@{user_id}>"


def card_blocks(text: str, ids: CardIds) -> list[dict[str, Any]]:
    """The card's text, then one actions block per row of buttons."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    rows = _single(ids) if len(ids.file_ids) == 1 else _several(ids)
    for index, row in enumerate(rows):
        block_id = "imagine_result" if index == 0 else f"imagine_result_{index + 1}"
        blocks.append({"type": "actions", "block_id": block_id, "elements": row[:25]})
    return blocks


def _single(ids: CardIds) -> list[list[dict[str, Any]]]:
    image = {"r": ids.request_id, "f": list(ids.file_ids)}
    rows = [
        [button(label, control_action(control), image, spoken) for label, control, spoken in row]
        for row in CONTROL_ROWS
    ]
    rows.append([*_reroll(ids), button("Edit", ACTION_EDIT, image)])
    rows[-1] += [button("Vary Region", ACTION_REGION, image), _delete(ids)]
    return rows


def _several(ids: CardIds) -> list[list[dict[str, Any]]]:
    images = list(enumerate(ids.file_ids[:10], start=1))
    per_image = [
        [
            button(f"{label} {i}", f"{action}_{i}", {"r": ids.request_id, "f": [file_id]})
            for i, file_id in images
        ]
        for label, action in (("Vary", ACTION_VARY), ("Pick", ACTION_PICK))
    ]
    every = {"r": ids.request_id, "f": list(ids.file_ids)}
    return [*per_image, [*_reroll(ids), button("Edit", ACTION_EDIT, every), _delete(ids)]]


def _reroll(ids: CardIds) -> list[dict[str, Any]]:
    """Re-roll, which runs the request again on its own sources (none for a generation)."""
    if not ids.rerollable:
        return []
    return [button("Re-roll", ACTION_REROLL, {"r": ids.request_id, "f": list(ids.source_ids)})]


def _delete(ids: CardIds) -> dict[str, Any]:
    """Delete, which removes the card and the images it sits under."""
    made = button("Delete", ACTION_DELETE, {"r": ids.request_id, "f": list(ids.file_ids)})
    return made | {"style": "danger"}


def button(label: str, action_id: str, value: dict[str, Any], spoken: str = "") -> dict[str, Any]:
    """A button whose value is compact JSON (ids only, so it works after a restart);
    `spoken` is what screen readers say for a label of arrows."""
    made = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": json.dumps(value, separators=(",", ":")),
    }
    if spoken and spoken != label:
        made["accessibility_label"] = spoken
    return made


def button_value(raw: str) -> tuple[str, tuple[str, ...]]:
    """(ledger id, file ids) from a button's value."""
    value = json.loads(raw)
    return str(value["r"]), tuple(str(f) for f in value.get("f") or ())
