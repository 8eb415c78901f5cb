"""The image service's failures, part of the tree in bot/errors.py: what the gateway
answered (or did not), as a message safe to show, never the provider's raw text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UserFacingError
from bot.wording import format_duration

# What each kind of failure says: what happened ({} takes the detail it is raised with),
# and what to do next; a kind not listed says what its parent class says
WORDS = {
    "moderation": (
        "Your request was blocked by the image service's safety system.",
        "Try rewording the prompt.",
    ),
    "unavailable": ("The image service is unavailable right now.", "Try again in a few minutes."),
    "timeout": (
        "The image service did not answer within {}.",
        "Try again, perhaps with a lower quality.",
    ),
    "rate_limited": ("The image service is busy (rate limited).", "Try again in a minute."),
    "insufficient_quota": (
        "The bot's image service account has run out of credit.",
        "Tell the bot's admin: they need to add credit with the provider.",
    ),
    "misconfigured": ("The bot is misconfigured: {}.", "Tell the bot's admin."),
    "gateway_budget": (
        "The spending budget set on the bot's image gateway is used up.",
        "Tell the bot's admin: they can raise the gateway's budget or wait until it resets.",
    ),
    "edit_unsupported": (
        "This image service cannot edit images.",
        "Tell the bot's admin to configure a gateway that supports edits.",
    ),
    "bad_response": ("The image service sent an unusable answer ({}).", "Try again."),
}


class GatewayError(UserFacingError):
    """The image service failed; nothing is charged. It says its kind's WORDS."""

    kind = "gateway"
    words = ("{}", "")

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.words = WORDS.get(cls.kind, cls.words)

    def __init__(self, detail: str = "", request_id: str | None = None) -> None:
        what, then = self.words
        super().__init__(what.format(detail), then)
        self.gateway_request_id = request_id


class Worded(GatewayError):
    """A failure that says its kind's words and no detail."""

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__("", request_id)


class ContentBlocked(Worded):
    """The model's safety system blocked the request."""

    kind = "moderation"


class GatewayUnavailable(Worded):
    """The gateway is down or failing, after retries."""

    kind = "unavailable"


class GatewayTimeout(GatewayError):
    """The gateway did not answer in time."""

    kind = "timeout"

    def __init__(self, seconds: float, request_id: str | None = None) -> None:
        super().__init__(format_duration(seconds), request_id)


class GatewayRateLimited(Worded):
    """The gateway kept answering 429."""

    kind = "rate_limited"


class QuotaExhausted(Worded):
    """The gateway account is out of credit: only an admin can fix it."""

    kind = "insufficient_quota"


class GatewayMisconfigured(GatewayError):
    """The bot's gateway settings are wrong (key, model, URL)."""

    kind = "misconfigured"


class GatewayBudgetSpent(Worded):
    """A spending budget set on the gateway (not the bot's own limits) is used up."""

    kind = "gateway_budget"


def listing(names: Sequence[str], most: int = 8) -> str:
    """'a, b, c' or 'a, b, c and 4 more'."""
    shown = ", ".join(names[:most])
    return f"{shown} and {len(names) - most} more" if len(names) > most else shown


class ModelNotOffered(GatewayMisconfigured):
    """The gateway does not serve the configured model; `offered` lists what it serves."""

    kind = "model_not_found"

    def __init__(
        self,
        model: str,
        offered: Sequence[str] = (),
        request_id: str | None = None,
        setting: str = "IMAGINE_MODEL",
    ) -> None:
        self.model = model
        detail = f"the gateway does not offer model '{model}' ({setting})"
        if offered:
            detail += f"; it offers {listing(offered)}"
        super().__init__(detail, request_id)


class GatewayRuleRefused(GatewayMisconfigured):
    """A rule on the gateway (a team's model allowlist) refuses the request."""

    kind = "gateway_forbidden"

    def __init__(
        self,
        model: str,
        rule_id: str | None,
        request_id: str | None = None,
        setting: str = "IMAGINE_MODEL",
    ) -> None:
        self.rule_id = rule_id
        rule = f" (rule {rule_id})" if rule_id else ""
        super().__init__(
            f"a rule on the gateway refuses model '{model}'{rule}; allow it on the gateway "
            f"or choose another model ({setting})",
            request_id,
        )


class VerificationRequired(GatewayMisconfigured):
    """The gateway account must be verified (a payment card on file) before it serves."""

    kind = "verification_required"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "the gateway account must be verified with a payment card before it makes images "
            "(customer_verification_required)",
            request_id,
        )


class FreeTierModel(GatewayMisconfigured):
    """The model is not available on the gateway's free tier."""

    kind = "free_tier"

    def __init__(
        self, model: str, request_id: str | None = None, setting: str = "IMAGINE_MODEL"
    ) -> None:
        super().__init__(
            f"model '{model}' is not available on the gateway's free tier; add paid credit "
            f"on the gateway or choose another model ({setting})",
            request_id,
        )


class EditUnsupported(Worded):
    """The configured gateway has no image edits route."""

    kind = "edit_unsupported"


class BadGatewayResponse(GatewayError):
    """The gateway answered something unusable."""

    kind = "bad_response"
