"""A gateway's failures as `bot.errors` types: its error answers, and why it could not be reached.

OpenAI puts an error's kind in `code`, Vercel's gateway in `type`, Opper in `code` (v3) or in
a top-level `type` (v2); `ErrorInfo.kinds` holds both, so one table reads all three:

    safety block (any)                       -> ContentBlocked
    insufficient_quota / insufficient_funds  -> QuotaExhausted (no credit)
    quota_for_entity_exceeded                -> GatewayBudgetSpent (the gateway's own budget)
    other 402                                -> QuotaExhausted
    model_not_found                          -> ModelNotOffered
    403 customer_verification_required       -> VerificationRequired
    403 forbidden (param.ruleId)             -> GatewayRuleRefused
    403 no_providers_available               -> FreeTierModel
    other 401 / 403                          -> GatewayMisconfigured (the key)
    then by status: edits 404 -> EditUnsupported, 404/405/3xx -> wrong URL, 429, 5xx, else
    BadRequest naming the parameter
"""

from __future__ import annotations

import socket
import ssl

import httpx

from bot.errors import BadRequest
from bot.gateway.errors import (
    ContentBlocked,
    EditUnsupported,
    FreeTierModel,
    GatewayBudgetSpent,
    GatewayError,
    GatewayMisconfigured,
    GatewayRateLimited,
    GatewayRuleRefused,
    GatewayUnavailable,
    ModelNotOffered,
    QuotaExhausted,
    VerificationRequired,
)
from bot.gateway.wire import ErrorInfo, rejection

BLOCKED = frozenset(
    {"moderation_blocked", "content_policy_violation", "contentpolicyviolationerror"}
)
NO_CREDIT = frozenset({"insufficient_quota", "insufficient_funds"})


def classify(
    status: int,
    info: ErrorInfo,
    *,
    model: str,
    edit: bool,
    secret: str | None,
    request_id: str | None,
    setting: str = "IMAGINE_MODEL",
) -> GatewayError | BadRequest:
    """The error a person is shown for a gateway's error answer; `setting` names where the
    model was configured (IMAGINE_MODEL, or IMAGINE_MODELS for one chosen with --model)."""
    kinds = info.kinds
    if kinds & BLOCKED:
        return ContentBlocked(request_id)
    if "quota_for_entity_exceeded" in kinds:
        return GatewayBudgetSpent(request_id)
    if kinds & NO_CREDIT or status == 402:
        return QuotaExhausted(request_id)
    if "model_not_found" in kinds:
        return ModelNotOffered(model, (), request_id, setting)
    if status == 403 and (refused := _refused(info, model, request_id, setting)) is not None:
        return refused
    if status in (401, 403):
        return GatewayMisconfigured("the image service rejected the API key", request_id)
    return _by_status(status, info, edit, secret, request_id)


def _refused(
    info: ErrorInfo, model: str, request_id: str | None, setting: str
) -> GatewayError | None:
    """Vercel's 403s that are about the account or its rules, not the key."""
    kinds = info.kinds
    if "customer_verification_required" in kinds:
        return VerificationRequired(request_id)
    if "forbidden" in kinds:
        return GatewayRuleRefused(model, info.rule_id, request_id, setting)
    if "no_providers_available" in kinds:
        return FreeTierModel(model, request_id, setting)
    return None


def _by_status(
    status: int, info: ErrorInfo, edit: bool, secret: str | None, request_id: str | None
) -> GatewayError | BadRequest:
    if edit and status in (404, 405):
        return EditUnsupported(request_id)
    if status in (404, 405) or 300 <= status < 400:
        return GatewayMisconfigured("the gateway URL looks wrong (IMAGINE_GATEWAY_URL)", request_id)
    if status == 429:
        return GatewayRateLimited(request_id)
    if status >= 500 or status in (408, 409):
        return GatewayUnavailable(request_id)
    return rejection(info, status, secret)


def stream_status(info: ErrorInfo) -> int:
    """The HTTP status an error event inside a 200 stream stands for."""
    if "rate_limit_exceeded" in info.kinds:
        return 429
    return 400 if info.param else 500


def unreachable_cause(exc: BaseException) -> str:
    """Why a connection failed, in words, from the chain of errors under an httpx error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException | TimeoutError):
            return "timed out"
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "TLS certificate not trusted"
        if isinstance(seen, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(seen, socket.gaierror):
            return "DNS lookup failed"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, ConnectionResetError):
            return "connection reset"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__


NO_RETRY = (
    ContentBlocked,
    QuotaExhausted,
    GatewayBudgetSpent,
    GatewayMisconfigured,
    EditUnsupported,
)


class Retry(Exception):
    """An attempt failed in a way worth another try; `error` is raised when tries run out.

    `reason` is for the log: 'HTTP 503', or why the connection failed ('connection refused').
    """

    def __init__(
        self,
        error: GatewayError | BadRequest,
        reason: str,
        delay: float | None,
        *,
        unreachable: bool = False,
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.delay = delay
        self.unreachable = unreachable
