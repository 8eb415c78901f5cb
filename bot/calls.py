"""One request after its checks: reserve, wait for a slot, call the gateway, fit the
images, keep them until delivered, settle the ledger row (the handler's machinery)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import fitting
from bot.backend import ImageBackend
from bot.catalog import ModelInfo
from bot.config import Settings
from bot.errors import Busy, InternalError, Refused, ShuttingDown, UserFacingError
from bot.gateway.errors import BadGatewayResponse
from bot.metrics import Metrics
from bot.models import (
    EDIT_KINDS,
    CostSource,
    GatewayResult,
    GeneratedImage,
    ImageRequest,
    Limits,
    PartialCallback,
    Progress,
    ProgressCallback,
    Reservation,
    Result,
)
from bot.pricing import actual_cost, estimate_cost
from bot.store import Store

log = logging.getLogger(__name__)

FINISH_MARGIN_S = 30.0


def reservation_budget(timeout: float) -> timedelta:
    """How long a reservation counts: a slot wait and a gateway call, then time to finish."""
    # the wait and the call each end at `timeout`; finishing gets 30 s, or one timeout if shorter
    return timedelta(seconds=2 * timeout + min(FINISH_MARGIN_S, timeout))


def outcome_of(exc: BaseException, closing: bool) -> str:
    """The ledger's error kind of a request that ended with `exc`."""
    if isinstance(exc, UserFacingError):
        return exc.kind
    if isinstance(exc, asyncio.CancelledError):
        return "shutdown" if closing else "cancelled"
    return "internal"


def _pillow_cores() -> asyncio.Semaphore:
    return asyncio.Semaphore(max(1, (os.cpu_count() or 1) - 1))


@dataclass(eq=False)
class Calls:
    """The gateway calls of one bot: a global cap on calls at once, the queue before it, and
    Pillow work kept to a core fewer than the machine has (the event loop keeps one)."""

    settings: Settings
    store: Store
    backend: ImageBackend
    metrics: Metrics
    clock: Callable[[], datetime]
    closing: Callable[[], bool]
    waiting: int = field(default=0, init=False)
    pillow: asyncio.Semaphore = field(default_factory=_pillow_cores, init=False)
    _slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)

    async def run(
        self,
        req: ImageRequest,
        limits: Limits,
        progress: ProgressCallback | None,
        model: ModelInfo,
    ) -> Result:
        """Reserve against `limits`, call the gateway, keep and settle; failures are settled
        as not charged and leave with the ledger row's id."""
        now = self.clock()
        try:
            entry = await self.store.reserve(self._reservation(req, model, now), limits, now)
        except Refused as exc:
            self.count_refusal(req, exc)
            raise
        started = time.monotonic()
        outcome = "failed"
        cost, delivered = 0.0, 0
        try:
            result = await self._call(req, entry.id, progress, model)
            outcome, cost, delivered = "succeeded", result.cost_usd, len(result.images)
            return result
        except BaseException as exc:
            outcome = outcome_of(exc, self.closing())
            raise await self._failed(entry.id, outcome, exc) from None
        finally:
            self.metrics.request_finished(req.actor.platform, req.kind, outcome, delivered, cost)
            log.info(
                "request id=%s platform=%s kind=%s outcome=%s duration_s=%.2f cost_usd=%.4f",
                entry.id,
                req.actor.platform,
                req.kind,
                outcome,
                time.monotonic() - started,
                cost,
            )

    def _reservation(self, req: ImageRequest, model: ModelInfo, now: datetime) -> Reservation:
        return Reservation(
            id=uuid.uuid4().hex,
            idempotency_key=req.idempotency_key,
            actor=req.actor,
            kind=req.kind,
            model=req.options.model,
            options=req.options,
            prompt=req.prompt if self.settings.prompt_retention_days else None,
            est_cost_usd=estimate_cost(model, req.options),
            deadline=now + reservation_budget(self.settings.gateway_timeout),
            parent_id=req.parent_id,
        )

    async def _failed(self, entry_id: str, outcome: str, exc: BaseException) -> BaseException:
        """Settle a failed row as not charged; what to raise instead of `exc`."""
        await asyncio.shield(self.store.settle_failed(entry_id, outcome, self.clock()))
        if isinstance(exc, UserFacingError):
            failure: UserFacingError = exc
        elif outcome == "shutdown":
            failure = ShuttingDown(interrupted=True)
        elif isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
            return exc
        else:
            log.error("request %s failed inside the bot", entry_id, exc_info=exc)
            failure = InternalError()
        failure.entry_id = entry_id
        return failure

    def count_refusal(self, req: ImageRequest, exc: Refused) -> None:
        """Count and log a request refused before (or by) its reservation."""
        self.metrics.request_finished(req.actor.platform, req.kind, exc.kind, 0, 0.0)
        log.info("refused platform=%s kind=%s outcome=%s", req.actor.platform, req.kind, exc.kind)

    async def _call(
        self,
        req: ImageRequest,
        entry_id: str,
        progress: ProgressCallback | None,
        model: ModelInfo,
    ) -> Result:
        await self._acquire_slot(progress, self.settings.gateway_timeout)
        try:
            if progress is not None:
                await progress(Progress("started"))
            called = time.monotonic()
            try:
                got = await self._backend_call(req, progress, model)
            finally:
                self.metrics.gateway_call(time.monotonic() - called)
        finally:
            self._slots.release()
        if not got.images:
            raise BadGatewayResponse("no images", got.request_id)
        made = await asyncio.gather(
            *(
                self._fit(req, f"imagine-{entry_id[:8]}-{i + 1}", data)
                for i, data in enumerate(got.images)
            )
        )
        return await self._settle_succeeded(req, entry_id, got, tuple(made), progress, model)

    async def _keep(
        self,
        entry_id: str,
        made: tuple[GeneratedImage, ...],
        got: GatewayResult,
        cost: float,
        source: CostSource,
    ) -> None:
        """Keep the images until they are delivered, then settle the row (delivery pending)."""
        now = self.clock()
        await self.store.keep_results(entry_id, made, now)
        await self.store.settle_succeeded(
            entry_id, len(made), got.usage, cost, now, cost_source=source
        )

    async def _fit(self, req: ImageRequest, stem: str, data: bytes) -> GeneratedImage:
        async with self.pillow:
            return await fitting.fit_for_upload(
                data,
                cap_bytes=req.upload_cap_bytes,
                preferred_format=req.options.output_format,
                filename_stem=stem,
            )

    async def _acquire_slot(self, progress: ProgressCallback | None, timeout: float) -> None:
        if self._slots.locked() and progress is not None:
            await progress(Progress("queued", position=self.waiting + 1))
        self.waiting += 1
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Busy(queue_full=True) from None
        finally:
            self.waiting -= 1

    async def _backend_call(
        self, req: ImageRequest, progress: ProgressCallback | None, model: ModelInfo
    ) -> GatewayResult:
        on_partial: PartialCallback | None = None
        if progress is not None and self.settings.stream_previews and model.streamed_previews:
            report = progress

            async def on_partial(preview: bytes) -> None:
                await report(Progress("partial", preview=preview))

        user = f"{req.actor.platform}:{req.actor.user_id}"
        if req.kind in EDIT_KINDS:
            return await self.backend.edit(
                req.prompt,
                req.sources,
                req.options,
                mask=req.mask,
                user=user,
                on_partial=on_partial,
            )
        if req.kind == "vary":
            return await self.backend.vary(
                req.sources[0],
                req.options,
                prompt=req.prompt or None,
                user=user,
                on_partial=on_partial,
            )
        return await self.backend.generate(
            req.prompt, req.options, user=user, on_partial=on_partial
        )

    async def _settle_succeeded(
        self,
        req: ImageRequest,
        entry_id: str,
        got: GatewayResult,
        made: tuple[GeneratedImage, ...],
        progress: ProgressCallback | None,
        model: ModelInfo,
    ) -> Result:
        cost, source = actual_cost(model, req.options, len(made), got.usage, got.cost_usd)
        keeping = asyncio.ensure_future(self._keep(entry_id, made, got, cost, source))
        try:
            await asyncio.shield(keeping)
        except asyncio.CancelledError:
            # the gateway billed these images: settle the row before the cancellation goes
            # on, so the failed-settlement that follows cannot overtake it, and leave them
            # deliverable again instead of counted against the person
            await asyncio.wait([keeping])
            if not keeping.cancelled() and keeping.exception() is None:
                await asyncio.shield(self.store.settle_delivery(entry_id, False, self.clock()))
            raise
        if progress is not None:
            await progress(Progress("done"))
        return Result(
            request_id=entry_id,
            kind=req.kind,
            prompt=req.prompt,
            options=req.options,
            images=made,
            cost_usd=cost,
            usage=got.usage,
            revised_prompt=got.revised_prompt,
            warnings=got.warnings,
        )
