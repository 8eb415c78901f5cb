"""Every sentence the runner shows a person, one wording per situation on every surface."""

from __future__ import annotations

from bot.delivery import DeliveryFailed
from bot.errors import InternalError, UserFacingError
from bot.models import Progress
from bot.requests.surface import Failure

PRESSED_AGAIN = "Your first press of that button is still running; this one was dropped."
STOPPED = DeliveryFailed("the bot was restarting before they were posted", transient=False)


def progress(step: Progress) -> str:
    """Where a request stands: 'Queued — position 3', 'Generating…'."""
    if step.stage == "queued":
        return f"Queued — position {step.position}"
    if step.stage == "partial":
        return "Generating… (a first sketch is ready)"
    return "Generating…"


def failure(exc: UserFacingError) -> Failure:
    """The error's own sentence (what happened, the charge, what next) and the request id
    once the request reached the ledger."""
    if exc.entry_id is None:
        return Failure(exc.message, exc)
    return Failure(f"{exc.message} (request {exc.entry_id[:8]})", exc)


def internal() -> Failure:
    """A bug outside the handler (logged by the caller)."""
    return Failure(failure(InternalError()).text)
