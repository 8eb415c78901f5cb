"""ImagineHandler: the one place where limits, the gateway, images and the ledger meet."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot import checks, controls, images, options
from bot.admin import LimitsAdmin
from bot.backend import ImageBackend
from bot.catalog import Catalog, ModelInfo, ModelMenu, load_catalog
from bot.config import Settings
from bot.delivery import Deliveries
from bot.errors import (
    BadRequest,
    Busy,
    InternalError,
    NotAllowed,
    Refused,
    ShuttingDown,
    UserFacingError,
)
from bot.gateway.errors import BadGatewayResponse
from bot.metrics import Metrics
from bot.models import (
    EDIT_KINDS,
    Actor,
    CostSource,
    GatewayResult,
    GeneratedImage,
    ImageRequest,
    Kind,
    LedgerEntry,
    Limits,
    Options,
    PartialCallback,
    Progress,
    ProgressCallback,
    Reservation,
    Result,
    SourceImage,
)
from bot.pricing import actual_cost, estimate_cost
from bot.sizes import source_size
from bot.store import Store
from bot.text import inert

log = logging.getLogger(__name__)

T = TypeVar("T")
FINISH_MARGIN_S = 30.0


def reservation_budget(timeout: float) -> timedelta:
    """How long a reservation counts: a slot wait and a gateway call, then time to finish."""
    # the wait and the call each end at `timeout`; finishing gets 30 s, or one timeout if shorter
    return timedelta(seconds=2 * timeout + min(FINISH_MARGIN_S, timeout))


def _plain(req: ImageRequest, kind: Kind) -> ImageRequest:
    """`req` as a plain generate, edit or vary: options kept from a control's result (a Vary
    of a zoomed image) lose that control and its input fidelity."""
    return replace(req, kind=kind, options=replace(req.options, control="", input_fidelity=None))


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


class ImagineHandler(LimitsAdmin):
    """generate / edit / vary / reroll for every platform, plus the admin door (bot/admin.py)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        backend: ImageBackend,
        *,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.catalog = catalog or load_catalog(settings.models_file)
        self.menu = ModelMenu(self.catalog, settings.model, settings.offered_models())
        self.store = store
        self.backend = backend
        self.clock = clock
        self.deliveries = Deliveries(settings, store, clock)
        self.metrics = metrics or Metrics()
        self.metrics.gauge(
            "imagine_queue_depth", "Requests waiting for a slot.", lambda: self._waiting
        )
        self.metrics.gauge("imagine_in_flight", "Requests running.", lambda: len(self._running))
        self._slots = asyncio.Semaphore(settings.max_concurrent)
        # Pillow jobs at once: a core fewer than the machine has, so the event loop keeps one
        self._pillow = asyncio.Semaphore(max(1, (os.cpu_count() or 1) - 1))
        self._waiting = 0
        self._per_user: dict[tuple[str, str, str], int] = {}
        self._running: set[asyncio.Task[object]] = set()
        self._closing = False
        checks.warn_at_start(self.catalog, self.menu, self.clock())

    @property
    def defaults(self) -> Options:
        """Options used when a person sets none, fitted to the default model."""
        opts = Options(
            size=self.settings.default_size,
            quality=self.settings.default_quality,
            model=self.settings.model,
        )
        return options.fit_defaults(opts, self.menu.info(self.settings.model))

    def source_options(self, base: Options, width: int, height: int) -> Options:
        """`base` with the size that keeps a WxH source's shape on its model."""
        if not (width and height):
            return base
        model = self.menu.info(self.menu.choose(base.model))
        return replace(base, size=source_size(model, width, height))

    @property
    def in_flight(self) -> int:
        """Requests currently reserved and running in this process."""
        return len(self._running)

    @property
    def queued(self) -> int:
        """Requests waiting for a free slot."""
        return self._waiting

    def parse(
        self,
        text: str,
        typed: Mapping[str, str | int | None] | None = None,
        *,
        require_prompt: bool = True,
        source: tuple[int, int] | None = None,
        base: Options | None = None,
    ) -> tuple[str, Options]:
        """Split an inert prompt and its --flags, merged with typed options, into a request;
        with `source` (an edited image's width and height) it keeps that image's shape, and
        `base` (a result's options) stands in for the defaults."""
        text = inert(text)
        typed = {k: inert(v) if isinstance(v, str) else v for k, v in (typed or {}).items()}
        return options.parse_request(
            text,
            typed,
            defaults=self.defaults if base is None else base,
            menu=self.menu,
            max_n=options.MAX_N,
            require_prompt=require_prompt,
            source=source,
        )

    async def generate(self, req: ImageRequest, progress: ProgressCallback | None = None) -> Result:
        """Create images from a prompt."""
        return await self._run(replace(_plain(req, "generate"), sources=()), progress)

    async def edit(self, req: ImageRequest, progress: ProgressCallback | None = None) -> Result:
        """Change one or more source images as the prompt says."""
        if not req.sources:
            raise BadRequest("Attach or point at an image to edit.")
        if not req.prompt.strip():
            raise BadRequest("Say how the image should change, e.g. make the balloon blue.")
        return await self._run(_plain(req, "edit"), progress)

    async def vary(self, req: ImageRequest, progress: ProgressCallback | None = None) -> Result:
        """Make variations of one source image."""
        if len(req.sources) != 1:
            raise BadRequest("Pick exactly one image to vary.")
        return await self._run(_plain(req, "vary"), progress)

    async def reroll(
        self,
        entry_id: str,
        actor: Actor,
        idempotency_key: str,
        *,
        sources: Sequence[SourceImage] = (),
        upload_cap_bytes: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Result:
        """Run an earlier request again with its prompt and options, charged to `actor`."""
        entry = await self.entry(entry_id)
        control = entry.options.control
        if entry.prompt is None and entry.kind != "vary" and not control:
            days = self.settings.prompt_retention_days
            kept = f"prompts are kept {days} days" if days else "this bot keeps no prompts"
            raise BadRequest(
                f"This result cannot be re-rolled: its prompt is not kept ({kept}). "
                "Start a new /imagine instead."
            )
        if entry.kind != "generate" and not sources:
            raise BadRequest("Re-rolling an edit needs its source image; use Edit instead.")
        req = ImageRequest(
            kind=entry.kind,
            prompt=inert(entry.prompt or ""),  # rows kept before prompts were cleaned
            actor=actor,
            idempotency_key=idempotency_key,
            options=entry.options,
            sources=tuple(sources),
            upload_cap_bytes=upload_cap_bytes,
            parent_id=entry.id,
        )
        if control:
            return await self._controlled(req, controls.parse(control), progress, prompt=req.prompt)
        return await self._run(req, progress)

    async def deliver(
        self, result: Result, attempt: Callable[[], Awaitable[T]], *, again: str
    ) -> T:
        """Deliver a result through a surface's `attempt` (which raises DeliveryFailed),
        retried for a while; raises Undelivered, ending with `again`, when its images stay
        kept instead."""
        return await self.deliveries.deliver(result, attempt, again)

    async def deliver_again(self, entry_id: str, actor: Actor) -> Result:
        """A result that could not be delivered, with its kept images, for `deliver`."""
        return await self.deliveries.claim(entry_id, actor)

    async def entry(self, entry_id: str) -> LedgerEntry:
        """A ledger row, or a friendly error when it is gone."""
        found = await self.store.get_entry(entry_id)
        if found is None:
            raise BadRequest("That result is no longer known to the bot; start a new /imagine.")
        return found

    async def housekeeping(self) -> None:
        """Settle abandoned reservations and stalled deliveries; forget prompts and kept
        images past their retention."""
        now = self.clock()
        await self.store.settle_abandoned(now)
        await self.store.purge_prompts(now - timedelta(days=self.settings.prompt_retention_days))
        await self.deliveries.expire()

    def close_intake(self) -> None:
        """Take no new requests (shutdown has begun)."""
        self._closing = True

    async def drain(self, grace: float) -> int:
        """Let running requests finish within `grace` seconds, then stop the rest."""
        self.close_intake()
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        late = list(self._running)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=5)
        return len(late)

    async def _run(self, req: ImageRequest, progress: ProgressCallback | None) -> Result:
        user_key = (req.actor.platform, req.actor.workspace_id, req.actor.user_id)
        try:
            if self._closing:
                raise ShuttingDown()
            default = self.settings.model
            req, model = checks.with_model(self.catalog, self.menu, default, req, self.clock())
            limits = await self.limits_of(req.actor)
            await self._check_request(req, limits, model)
            cap = self.settings.per_user_concurrent
            if cap and self._per_user.get(user_key, 0) >= cap:
                raise Busy()
        except Refused as exc:
            self._count_refusal(req, exc)
            raise
        self._per_user[user_key] = self._per_user.get(user_key, 0) + 1
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            return await self._reserved(req, limits, progress, model)
        finally:
            self._per_user[user_key] -= 1
            if not self._per_user[user_key]:
                del self._per_user[user_key]
            if task is not None:
                self._running.discard(task)

    async def _check_request(self, req: ImageRequest, limits: Limits, model: ModelInfo) -> None:
        if req.parent_id is not None:
            parent = await self.entry(req.parent_id)
            if parent.user_id != req.actor.user_id and limits.others_can_vary is False:
                raise NotAllowed(
                    "In this channel only the person who made an image can vary or re-roll it. "
                    "Start your own with /imagine."
                )
        if req.actor.is_admin and limits.admins_exempt:
            return
        checks.check_limits(req.options, limits, model, self.catalog)

    async def _reserved(
        self,
        req: ImageRequest,
        limits: Limits,
        progress: ProgressCallback | None,
        model: ModelInfo,
    ) -> Result:
        started = time.monotonic()
        now = self.clock()
        timeout = self.settings.gateway_timeout
        reservation = Reservation(
            id=uuid.uuid4().hex,
            idempotency_key=req.idempotency_key,
            actor=req.actor,
            kind=req.kind,
            model=req.options.model,
            options=req.options,
            prompt=req.prompt if self.settings.prompt_retention_days else None,
            est_cost_usd=estimate_cost(model, req.options),
            deadline=now + reservation_budget(timeout),
            parent_id=req.parent_id,
        )
        try:
            entry = await self.store.reserve(reservation, limits, now)
        except Refused as exc:
            self._count_refusal(req, exc)
            raise
        outcome = "failed"
        cost, delivered = 0.0, 0
        try:
            result = await self._call(req, entry.id, progress, timeout, model)
            outcome, cost, delivered = "succeeded", result.cost_usd, len(result.images)
            return result
        except UserFacingError as exc:
            outcome = exc.kind
            exc.entry_id = entry.id
            await self._settle_failed(entry.id, exc.kind)
            raise
        except asyncio.CancelledError:
            outcome = "shutdown" if self._closing else "cancelled"
            await self._settle_failed(entry.id, outcome)
            if self._closing:
                stopped = ShuttingDown(interrupted=True)
                stopped.entry_id = entry.id
                raise stopped from None
            raise
        except Exception:
            log.exception("request %s failed inside the bot", entry.id)
            await self._settle_failed(entry.id, "internal")
            raise InternalError(entry.id) from None
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

    def _count_refusal(self, req: ImageRequest, exc: Refused) -> None:
        self.metrics.request_finished(req.actor.platform, req.kind, exc.kind, 0, 0.0)
        log.info("refused platform=%s kind=%s outcome=%s", req.actor.platform, req.kind, exc.kind)

    async def _settle_failed(self, entry_id: str, kind: str) -> None:
        await asyncio.shield(self.store.settle_failed(entry_id, kind, self.clock()))

    async def _call(
        self,
        req: ImageRequest,
        entry_id: str,
        progress: ProgressCallback | None,
        timeout: float,
        model: ModelInfo,
    ) -> Result:
        await self._acquire_slot(progress, timeout)
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
        async with self._pillow:
            return await images.fit_for_upload(
                data,
                cap_bytes=req.upload_cap_bytes,
                preferred_format=req.options.output_format,
                filename_stem=stem,
            )

    async def _acquire_slot(self, progress: ProgressCallback | None, timeout: float) -> None:
        if self._slots.locked() and progress is not None:
            await progress(Progress("queued", position=self._waiting + 1))
        self._waiting += 1
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Busy(queue_full=True) from None
        finally:
            self._waiting -= 1

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

    async def control(
        self,
        req: ImageRequest,
        control: controls.Control,
        progress: ProgressCallback | None = None,
    ) -> Result:
        """Zoom Out, Pan, Vary (Subtle/Strong), Upscale or Blend `req.sources`, as
        bot/controls.py builds it; `req.prompt` holds the person's own words (may be '')."""
        return await self._controlled(req, control, progress, words=req.prompt)

    async def _controlled(
        self,
        req: ImageRequest,
        control: controls.Control,
        progress: ProgressCallback | None,
        *,
        words: str = "",
        prompt: str | None = None,
    ) -> Result:
        """Build the control's edit (a Re-roll passes the `prompt` sent before), run it, and
        add the control's note to the result's warnings."""
        name = self.menu.choose(req.options.model)
        texts = controls.Instructions(
            self.settings.vary_subtle_prompt, self.settings.vary_strong_prompt
        )
        async with self._pillow:
            built = await controls.build(
                control,
                req.sources,
                replace(req.options, model=name),
                self.menu.info(name),
                texts,
                words=words,
                prompt=prompt or None,
            )
        run = replace(
            req,
            kind=control.kind,
            prompt=built.prompt,
            options=built.options,
            sources=built.sources,
            mask=built.mask,
        )
        result = await self._run(run, progress)
        if built.note is None:
            return result
        return replace(result, warnings=(built.note, *result.warnings))
