"""What a person asked for, in platform-neutral terms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.models import Actor, SourceImage

AskKind = Literal["generate", "edit", "vary", "control", "reroll", "deliver"]
Typed = Mapping[str, str | int | None]
Sources = Callable[[], Awaitable[Sequence[SourceImage]]]


async def no_sources() -> Sequence[SourceImage]:
    """The sources of a request that takes none."""
    return ()


@dataclass(frozen=True)
class Ask:
    """One request as a surface hands it over.

    `key` is the platform's own id of the event (an interaction, event, trigger or action
    id; the CLI makes one): a redelivered event carries the same key and never runs twice.
    `press` names the control pressed (e.g. 'vary:1'): the same person pressing it again
    while the first press runs is dropped; a later press is a new request. `sources` fetches
    the input images, after the surface has acknowledged. `parent_id` is the ledger id of the
    result the control sits under (vary, edit and re-roll from a result; deliver again).
    `control` is a creative control as bot/controls.py writes it ('zoom 2', 'pan left',
    'vary subtle', 'upscale', 'blend'), for kind 'control'.
    """

    kind: AskKind
    actor: Actor
    key: str
    text: str = ""
    typed: Typed = field(default_factory=dict)
    sources: Sources = no_sources
    mask: Sources | None = None
    parent_id: str | None = None
    press: str | None = None
    upload_cap_bytes: int | None = None
    control: str = ""

    @property
    def press_key(self) -> tuple[str, ...] | None:
        """Who pressed what, for dropping a second press while the first runs."""
        if self.press is None:
            return None
        actor = self.actor
        return (actor.platform, actor.workspace_id, actor.user_id, self.press)


@dataclass(frozen=True)
class Headline:
    """What is being made, for the surface's working message: the kind and the prompt, and
    whether the person asked to see it alone (`--private`, or the typed option)."""

    kind: str
    prompt: str
    private: bool = False
