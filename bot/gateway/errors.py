"""The image service's failures, part of the tree in bot/errors.py: what the gateway
answered (or did not), as a message safe to show, never the provider's raw text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UserFacingError, format_duration


class GatewayError(UserFacingError):
    """The image service failed; nothing is charged."""

    kind = "gateway"

    def __init__(self, what: str, request_id: str | None = None, *, then: str = "") -> None:
        super().__init__(what, then)
        self.gateway_request_id = request_id


class ContentBlocked(GatewayError):
    """The model's safety system blocked the request."""

    kind = "moderation"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "Your request was blocked by the image service's safety system.",
            request_id,
            then="Try rewording the prompt.",
        )


class GatewayUnavailable(GatewayError):
    """The gateway is down or failing, after retries."""

    kind = "unavailable"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "The image service is unavailable right now.",
            request_id,
            then="Try again in a few minutes.",
        )


class GatewayTimeout(GatewayError):
    """The gateway did not answer in time."""

    kind = "timeout"

    def __init__(self, seconds: float, request_id: str | None = None) -> None:
        super().__init__(
            f"The image service did not answer within {format_duration(seconds)}.",
            request_id,
            then="Try again, perhaps with a lower quality.",
        )


class GatewayRateLimited(GatewayError):
    """The gateway kept answering 429."""

    kind = "rate_limited"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "The image service is busy (rate limited).",
            request_id,
            then="Try again in a minute.",
        )


class QuotaExhausted(GatewayError):
    """The gateway account is out of credit: only an admin can fix it."""

    kind = "insufficient_quota"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "The bot's image service account has run out of credit.",
            request_id,
            then="Tell the bot's admin: they need to add credit with the provider.",
        )


class GatewayMisconfigured(GatewayError):
    """The bot's gateway settings are wrong (key, model, URL)."""

    kind = "misconfigured"

    def __init__(self, detail: str, request_id: str | None = None) -> None:
        super().__init__(
            f"The bot is misconfigured: {detail}.",
            request_id,
            then="Tell the bot's admin.",
        )


class GatewayBudgetSpent(GatewayError):
    """A spending budget set on the gateway (not the bot's own limits) is used up."""

    kind = "gateway_budget"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "The spending budget set on the bot's image gateway is used up.",
            request_id,
            then="Tell the bot's admin: they can raise the gateway's budget "
            "or wait until it resets.",
        )


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


class EditUnsupported(GatewayError):
    """The configured gateway has no image edits route."""

    kind = "edit_unsupported"

    def __init__(self, request_id: str | None = None) -> None:
        super().__init__(
            "This image service cannot edit images.",
            request_id,
            then="Tell the bot's admin to configure a gateway that supports edits.",
        )


class BadGatewayResponse(GatewayError):
    """The gateway answered something unusable."""

    kind = "bad_response"

    def __init__(self, detail: str, request_id: str | None = None) -> None:
        super().__init__(
            f"The image service sent an unusable answer ({detail}).",
            request_id,
            then="Try again.",
        )
