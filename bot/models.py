"""Plain data passed between adapters, the handler, the gateway and the store.

Nothing here knows about Discord or Slack; adapters translate their events into these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from bot.limit_kinds import QUALITIES as QUALITIES

# re-exported: the limits are one table of their own (bot/limit_table.py)
from bot.limit_table import LIMIT_KEYS as LIMIT_KEYS
from bot.limit_table import LIMITS as LIMITS
from bot.limit_table import PERSON_KEYS as PERSON_KEYS
from bot.limit_table import Limits as Limits

Kind = Literal["generate", "edit", "vary", "zoom", "pan", "upscale", "blend"]
# The kinds sent to the gateway as an edit of a prepared canvas or of several images
EDIT_KINDS = ("edit", "zoom", "pan", "upscale", "blend")
Status = Literal["reserved", "succeeded", "failed", "abandoned"]
Stage = Literal["queued", "started", "partial", "done"]
# What happened to a succeeded row's images (migrations/sqlite/0003_kept_results.sql)
Delivery = Literal["pending", "delivered", "undelivered"]

FORMATS = ("png", "jpeg", "webp")
BACKGROUNDS = ("transparent", "opaque", "auto")
CostSource = Literal["gateway", "tokens", "table", ""]


ROLE = "role:"
PERSON = "user:"


@dataclass(frozen=True)
class Scope:
    """Where limits apply: a platform, a workspace (guild/team) and a channel; '*' is all.

    A role's or one person's own limits in a workspace take the channel's place, as
    'role:ID' and 'user:ID' (no platform's channel id holds a colon).
    """

    platform: str
    workspace_id: str = "*"
    channel_id: str = "*"

    @classmethod
    def role(cls, platform: str, workspace_id: str, role_id: str) -> Scope:
        """The limits of one role (a Discord role, a Slack user group) in a workspace."""
        return cls(platform, workspace_id, f"{ROLE}{role_id}")

    @classmethod
    def person(cls, platform: str, workspace_id: str, user_id: str) -> Scope:
        """One person's own limits in a workspace."""
        return cls(platform, workspace_id, f"{PERSON}{user_id}")

    @property
    def role_id(self) -> str | None:
        """The role of a role's scope, else None."""
        return self.channel_id.removeprefix(ROLE) if self.channel_id.startswith(ROLE) else None

    @property
    def user_id(self) -> str | None:
        """The person of a person's scope, else None."""
        if not self.channel_id.startswith(PERSON):
            return None
        return self.channel_id.removeprefix(PERSON)


EVERYWHERE = Scope("*")


@dataclass(frozen=True)
class Actor:
    """The person asking, and where they asked."""

    platform: str
    workspace_id: str
    channel_id: str
    user_id: str
    is_admin: bool = False
    roles: tuple[str, ...] = ()  # Discord role ids, Slack user group ids: the tiers

    @property
    def scope(self) -> Scope:
        """The channel this actor is in."""
        return Scope(self.platform, self.workspace_id, self.channel_id)


@dataclass(frozen=True)
class Options:
    """Validated image options, as the gateway receives them; `model` '' is the configured one."""

    size: str = "1024x1024"
    quality: str | None = "medium"
    n: int = 1
    background: str | None = None
    output_format: str = "png"
    output_compression: int | None = None
    model: str = ""
    moderation: str | None = None  # generations only; 'low' needs allow_low_moderation
    input_fidelity: str | None = None  # edits, on models that take it (bot/catalog.json)
    private: bool = False  # show the results to the requester only
    control: str = ""  # the creative control that built the request (bot/controls.py)


@dataclass(frozen=True)
class SourceImage:
    """An input image for an edit or a variation, already validated and normalised."""

    data: bytes
    filename: str = "image.png"
    content_type: str = "image/png"
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class ImageRequest:
    """One platform-neutral request for the handler."""

    kind: Kind
    prompt: str
    actor: Actor
    idempotency_key: str
    options: Options = field(default_factory=Options)
    sources: tuple[SourceImage, ...] = ()
    mask: SourceImage | None = None
    upload_cap_bytes: int | None = None
    parent_id: str | None = None


@dataclass(frozen=True)
class TokenUsage:
    """Token counts reported by the gateway; the splits are 0 where it gave none."""

    input_tokens: int = 0
    output_tokens: int = 0
    input_text_tokens: int = 0
    input_image_tokens: int = 0
    output_text_tokens: int = 0
    output_image_tokens: int = 0


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway returned: raw image bytes, its own cost figure, and its warnings."""

    images: tuple[bytes, ...]
    usage: TokenUsage | None = None
    cost_usd: Decimal | None = None
    revised_prompt: str | None = None
    request_id: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedImage:
    """One finished image, ready to upload."""

    data: bytes
    mime_type: str
    filename: str
    width: int
    height: int


@dataclass(frozen=True)
class Result:
    """A finished request: the images and what they cost."""

    request_id: str
    kind: Kind
    prompt: str
    options: Options
    images: tuple[GeneratedImage, ...]
    cost_usd: float
    usage: TokenUsage | None = None
    revised_prompt: str | None = None
    warnings: tuple[str, ...] = ()
    remaining: str | None = None  # the person's own budget left, for the footer


@dataclass(frozen=True)
class Progress:
    """A step of a request, reported to the adapter while it runs."""

    stage: Stage
    position: int = 0
    preview: bytes | None = None


ProgressCallback = Callable[[Progress], Awaitable[None]]
PartialCallback = Callable[[bytes], Awaitable[None]]


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the usage ledger."""

    id: str
    idempotency_key: str
    platform: str
    workspace_id: str
    channel_id: str
    user_id: str
    kind: Kind
    model: str
    size: str
    quality: str
    n: int
    status: Status
    images_delivered: int
    input_tokens: int
    output_tokens: int
    est_cost_usd: float
    error_kind: str | None
    prompt: str | None
    options: Options
    created_at: datetime
    settled_at: datetime | None
    deadline: datetime
    parent_id: str | None = None
    delivery: Delivery | None = None
    delivery_at: datetime | None = None
    cost_source: CostSource = ""


@dataclass(frozen=True)
class Reservation:
    """What the handler asks the store to reserve before calling the gateway."""

    id: str
    idempotency_key: str
    actor: Actor
    kind: Kind
    model: str
    options: Options
    prompt: str | None
    est_cost_usd: float
    deadline: datetime
    parent_id: str | None = None


@dataclass(frozen=True)
class LimitChange:
    """One audited change of one limit key."""

    scope: Scope
    key: str
    old_value: str | None
    new_value: str | None
    changed_by: str
    changed_at: datetime
