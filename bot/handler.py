"""ImagineHandler: the one place where limits, the gateway, images and the ledger meet."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TypeVar

from bot import checks, controls, options
from bot.admin import LimitsAdmin
from bot.backend import ImageBackend
from bot.calls import Calls
from bot.catalog import Catalog, ModelInfo, ModelMenu, load_catalog
from bot.config import Settings
from bot.delivery import Deliveries
from bot.errors import BadRequest, Busy, NotAllowed, Refused, ShuttingDown
from bot.metrics import Metrics
from bot.models import (
    Actor,
    GeneratedImage,
    ImageRequest,
    Kind,
    LedgerEntry,
    Limits,
    Options,
    ProgressCallback,
    Result,
    SourceImage,
)
from bot.sizes import source_size
from bot.store import Store
from bot.text import inert
from bot.tracking import running

log = logging.getLogger(__name__)

T = TypeVar("T")


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
        self.default_limits = settings.default_limits()
        self.catalog = catalog or load_catalog(settings.models_file)
        self.menu = ModelMenu(self.catalog, settings.model, settings.offered_models())
        self.store = store
        self.backend = backend
        self.clock = clock
        self.deliveries = Deliveries(settings, store, clock)
        self.metrics = metrics or Metrics()
        self._calls = Calls(settings, store, backend, self.metrics, clock, lambda: self._closing)
        self.metrics.gauge(
            "imagine_queue_depth", "Requests waiting for a slot.", lambda: self._calls.waiting
        )
        self.metrics.gauge("imagine_in_flight", "Requests running.", lambda: len(self._running))
        self._per_user: Counter[tuple[str, str, str]] = Counter()
        self._running: set[asyncio.Task[object]] = set()
        self._closing = False
        checks.warn_at_start(self.catalog, self.menu, self.clock())

    @cached_property
    def defaults(self) -> Options:
        """Options used when a person sets none, fitted to the default model (once)."""
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
        return self._calls.waiting

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

    async def web_secret(self, candidate: str) -> str:
        """The web face's signing key kept in the database: `candidate` if none is yet."""
        return await self.store.web_secret(candidate, self.clock())

    async def kept_images(self, entry_id: str) -> tuple[GeneratedImage, ...]:
        """A result's images while the bot keeps them (until they are delivered)."""
        return await self.store.kept_results(entry_id)

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
            if cap and self._per_user[user_key] >= cap:
                raise Busy()
        except Refused as exc:
            self._calls.count_refusal(req, exc)
            raise
        with running(self._running, self._per_user, user_key):
            return await self._calls.run(req, limits, progress, model)

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
        async with self._calls.pillow:
            built = await controls.build(
                control,
                req.sources,
                replace(req.options, model=name),
                self.menu.info(name),
                texts,
                words=words,
                prompt=prompt or None,
            )
        result = await self._run(built.applied(req, control.kind), progress)
        if built.note is None:
            return result
        return replace(result, warnings=(built.note, *result.warnings))
