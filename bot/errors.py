"""Every failure a person may read, as a small tree of exception types.

Each message is safe to show a user: it says what happened, whether anything was
charged, and what to do next. It never holds a key, a token or a provider's raw text.

    UserFacingError                  what happened + the charge (from the class) + what next
    ├── ConfigError                  bad or missing setting (exit status 2 on the CLI); no charge
    ├── UsageError                   the command line cannot be parsed (bot/entry/cliargs.py)
    ├── Interrupted                  Ctrl-C in the terminal (bot/entry/cli.py)
    ├── BadRequest                   options or prompt the model cannot take
    │   └── BadSetting               a limit value or scope an admin typed; no charge
    ├── ImageRejected                not an image, too large, unsupported, a bomb
    ├── Undelivered                  made but not posted; kept for Deliver again (bot/delivery.py)
    ├── Refused                      the bot will not run this request now
    │   ├── LimitReached             a budget of a person, channel, workspace or the bot
    │   ├── OptionNotAllowed         an option outside what this scope allows
    │   ├── TooLarge, OffHost        a download too large, or off its owner's hosts (bot/fetch.py)
    │   ├── Disabled                 image generation is turned off here
    │   ├── Cooldown                 too soon after the last request
    │   ├── Busy                     this user already has a request running, or no slot
    │   ├── Duplicate                the same request arrived twice
    │   ├── NotAllowed               a permission the person lacks
    │   ├── ModelRetired             the model was shut down by its maker
    │   └── ShuttingDown             the bot is restarting
    ├── GatewayError                 the image service failed (bot/gateway/errors.py)
    │   ├── ContentBlocked           the safety system blocked the prompt or image
    │   ├── GatewayUnavailable       5xx, connection errors, after retries
    │   ├── GatewayTimeout           no answer within the timeout
    │   ├── GatewayRateLimited       429 after retries
    │   ├── QuotaExhausted           the gateway account has no credit
    │   ├── GatewayBudgetSpent       a budget set on the gateway itself is spent
    │   ├── GatewayMisconfigured     bad key, wrong URL
    │   │   ├── ModelNotOffered      the gateway does not serve the model
    │   │   ├── GatewayRuleRefused   a rule on the gateway (a model allowlist) refuses it
    │   │   ├── VerificationRequired the gateway account must be verified first
    │   │   └── FreeTierModel        the model is outside the gateway's free tier
    │   ├── EditUnsupported          the gateway has no edits route
    │   └── BadGatewayResponse       malformed JSON, no images
    └── InternalError                a bug; shown with the request id only
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.wording import format_amount, format_duration, plural

NOT_CHARGED = "You were not charged."


class UserFacingError(Exception):
    """An error whose message may be shown to the person who caused or met it.

    It is built from parts: what happened, whether the person was charged (from the class,
    so no message can leave it out), and what to do next. The runner adds the request id.
    """

    kind = "error"
    charged = False
    states_charge = True

    def __init__(self, what: str, then: str = "") -> None:
        self.what = what
        self.then = then
        self.entry_id: str | None = None  # the ledger row, once the request has one
        super().__init__(self.message)

    @property
    def charge(self) -> str:
        """'You were not charged.' (or nothing, for errors that are not about a request)."""
        if not self.states_charge:
            return ""
        return "You were charged." if self.charged else NOT_CHARGED

    @property
    def message(self) -> str:
        """The whole sentence a person reads."""
        return " ".join(part for part in (self.what, self.charge, self.then) if part)


class ConfigError(UserFacingError):
    """A setting is missing or invalid: the operator's to fix, before any request."""

    kind = "config"
    states_charge = False


class BadRequest(UserFacingError):
    """The request's options or prompt cannot be used."""

    kind = "bad_request"


class BadSetting(BadRequest):
    """A limit value or scope an admin typed cannot be used: about a setting, not a request,
    so it states no charge."""

    states_charge = False


class ImageRejected(UserFacingError):
    """A source image cannot be used."""

    kind = "bad_image"


class Refused(UserFacingError):
    """The bot will not run the request now."""

    kind = "refused"


# A budget key's holder (its first word) as the subject of a refusal, and its period
HOLDERS = {
    "user": ("You have", "your"),
    "channel": ("This channel has", "its"),
    "workspace": ("This workspace has", "its"),
    "bot": ("The bot has", "its"),
}
PERIODS = {"daily": "today", "weekly": "this week", "monthly": "this month"}


class LimitReached(Refused):
    """A budget would be exceeded: names it, shows n of m and when it resets, in the
    scope's timezone (`label` words the limit for the logs: 'your daily images')."""

    kind = "limit"

    def __init__(
        self,
        limit: str,
        label: str,
        used: float,
        allowed: float,
        unit: str,
        resets_at: datetime,
        now: datetime,
        timezone: str | None = None,
    ) -> None:
        self.limit = limit
        self.label = label
        self.used = used
        self.allowed = allowed
        self.resets_at = resets_at
        holder, _, rest = limit.partition("_")
        subject, owner = HOLDERS.get(holder, HOLDERS["user"])
        when = PERIODS.get(rest.partition("_")[0], "")
        if unit == "usd":
            figures = f"spent {format_amount(used, unit)} of {owner} {format_amount(allowed, unit)}"
        else:
            figures = f"used {format_amount(used, unit)} of {owner} {plural(int(allowed), 'image')}"
        reset = _reset_words(resets_at, now, timezone, daily=when == "today")
        super().__init__(f"{subject} {figures} {when} ({limit}); it resets {reset}.")


def _reset_words(resets_at: datetime, now: datetime, timezone: str | None, *, daily: bool) -> str:
    local = resets_at.astimezone(ZoneInfo(timezone or "UTC"))
    clock = f"{local:%H:%M} {local.tzname()}"
    if daily:
        return f"at {clock}, in {format_duration((resets_at - now).total_seconds())}"
    return f"on {local:%a} {local.day} {local:%b} {clock}"


class OptionNotAllowed(Refused):
    """An option is outside what this channel allows (max_n, max_quality, sizes)."""

    kind = "limit"

    def __init__(self, limit: str, detail: str) -> None:
        self.limit = limit
        super().__init__(f"Not allowed here: {detail} ({limit}).")


class Disabled(Refused):
    """Image generation is off in this scope."""

    kind = "disabled"

    def __init__(self) -> None:
        super().__init__(
            "Image generation is turned off in this channel. "
            "Ask an admin to enable it, or try another channel."
        )


class Cooldown(Refused):
    """The user must wait before asking again."""

    kind = "cooldown"

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(f"Slow down: you can ask again in {format_duration(wait_s)} (cooldown_s).")


class Busy(Refused):
    """This user already has a request running, or (`queue_full`) no slot came free in time."""

    kind = "busy"

    def __init__(self, *, queue_full: bool = False) -> None:
        if queue_full:
            super().__init__(
                "The bot is busy with other people's images and yours did not get a turn.",
                then="Try again in a few minutes.",
            )
        else:
            super().__init__(
                "You already have an image in progress. Wait for it to finish, then try again."
            )


class Duplicate(Refused):
    """The same request (idempotency key) arrived again."""

    kind = "duplicate"

    def __init__(self) -> None:
        super().__init__("This request was already received; it is handled only once.")


class NotAllowed(Refused):
    """The person lacks a permission the action needs."""

    kind = "forbidden"


class ModelRetired(Refused):
    """The chosen model was shut down; names the date, the setting and the replacement."""

    kind = "model_retired"

    def __init__(self, model: str, retired_on: str, setting: str, replacement: str | None) -> None:
        self.model = model
        instead = (
            f"set {setting} to its replacement, {replacement}"
            if replacement
            else f"set {setting} to another model (see imagine-bot models)"
        )
        super().__init__(
            f"The model {model} was shut down on {retired_on} and makes no more images: {instead}."
        )


class ShuttingDown(Refused):
    """The bot is shutting down and takes no new work."""

    kind = "shutting_down"

    def __init__(self, *, interrupted: bool = False) -> None:
        self.interrupted = interrupted
        what = (
            "The bot restarted before your image was finished."
            if interrupted
            else "The bot is restarting and cannot take new requests right now."
        )
        super().__init__(what, then="Try again in a minute.")


class InternalError(UserFacingError):
    """A bug: the person sees only the request id (added by the runner), the log the rest."""

    kind = "internal"

    def __init__(self, entry_id: str | None = None) -> None:
        super().__init__(
            "Something went wrong inside the bot.",
            then="The error was logged; tell the bot's admin if it keeps happening.",
        )
        self.entry_id = entry_id
