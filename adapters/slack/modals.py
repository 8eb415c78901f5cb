"""The Edit and Vary modals: which image, and what should change."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.slack.files import SlackFile

EDIT_VIEW = "imagine_edit_modal"
VARY_VIEW = "imagine_vary_modal"
ALL_IMAGES = "all"


@dataclass(frozen=True)
class Target:
    """What a modal works on, kept in its private_metadata (ids only)."""

    channel_id: str
    thread_ts: str | None
    file_ids: tuple[str, ...]
    parent_id: str | None = None

    def dump(self) -> str:
        """Compact JSON for private_metadata (≤ 3,000 chars: ten file ids fit easily)."""
        data = {"c": self.channel_id, "t": self.thread_ts, "f": self.file_ids, "r": self.parent_id}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def load(cls, raw: str) -> Target:
        """The Target a modal was opened for."""
        data = json.loads(raw)
        return cls(data["c"], data.get("t"), tuple(data["f"]), data.get("r"))


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": value[:75]}


def _image_select(names: Sequence[str], with_all: bool) -> dict[str, Any]:
    options = [{"text": _text(f"{i + 1}: {name}"), "value": str(i)} for i, name in enumerate(names)]
    if with_all:
        options.insert(0, {"text": _text(f"All {len(names)} images"), "value": ALL_IMAGES})
    return {
        "type": "input",
        "block_id": "image",
        "label": _text("Image"),
        "element": {
            "type": "static_select",
            "action_id": "value",
            "initial_option": options[0],
            "options": options[:100],
        },
    }


def _names(files: Sequence[SlackFile] | int) -> list[str]:
    if isinstance(files, int):
        return [f"image {i + 1}" for i in range(files)]
    return [f.name for f in files]


def edit_modal(target: Target, files: Sequence[SlackFile] | int) -> dict[str, Any]:
    """The modal that asks how to change an image (and which one, when there are several)."""
    names = _names(files)
    blocks: list[dict[str, Any]] = []
    if len(names) > 1:
        blocks.append(_image_select(names, with_all=True))
    blocks.append(
        {
            "type": "input",
            "block_id": "instruction",
            "label": _text("What should change?"),
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "max_length": 3000,
                "placeholder": _text("make the balloon blue --quality high"),
            },
        }
    )
    return _modal(EDIT_VIEW, "Edit image", "Edit", target, blocks)


def vary_modal(target: Target, files: Sequence[SlackFile]) -> dict[str, Any]:
    """The modal that asks which of several images to vary."""
    blocks = [_image_select(_names(files), with_all=False)]
    return _modal(VARY_VIEW, "Vary image", "Vary", target, blocks)


def _modal(
    callback_id: str, title: str, submit: str, target: Target, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _text(title),
        "submit": _text(submit),
        "close": _text("Cancel"),
        "private_metadata": target.dump(),
        "blocks": blocks,
    }


def chosen_files(view: Mapping[str, Any], target: Target) -> tuple[str, ...]:
    """The file ids the person picked in the modal (every one for 'All images')."""
    values = (view.get("state") or {}).get("values") or {}
    picked = ((values.get("image") or {}).get("value") or {}).get("selected_option")
    if not picked or picked["value"] == ALL_IMAGES:
        return target.file_ids
    return (target.file_ids[int(picked["value"])],)


def instruction(view: Mapping[str, Any]) -> str:
    """The instruction typed into the Edit modal."""
    values = (view.get("state") or {}).get("values") or {}
    return str(((values.get("instruction") or {}).get("value") or {}).get("value") or "")
