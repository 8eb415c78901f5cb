"""The one interface every image source implements, so the handler never knows which it has.

`generate`, `edit` and `vary` are written here once; each source turns a `Job` into images.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.models import GatewayResult, Options, PartialCallback, SourceImage


@dataclass(frozen=True)
class Job:
    """One thing to make: new images (no sources), an edit, or a variation of one source."""

    kind: Literal["generate", "edit", "vary"]
    prompt: str
    options: Options
    sources: tuple[SourceImage, ...] = ()
    mask: SourceImage | None = None
    user: str | None = None


class ImageBackend(ABC):
    """What makes images: the gateway client, or the offline placeholder drawer."""

    vary_prompt: str

    async def generate(
        self,
        prompt: str,
        options: Options,
        *,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """Create images from a prompt; partial previews go to `on_partial` when given."""
        return await self.make(Job("generate", prompt, options, user=user), on_partial)

    async def edit(
        self,
        prompt: str,
        images: Sequence[SourceImage],
        options: Options,
        *,
        mask: SourceImage | None = None,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """Change one or more source images as the prompt says, where a mask allows."""
        job = Job("edit", prompt, options, tuple(images), mask, user)
        return await self.make(job, on_partial)

    async def vary(
        self,
        image: SourceImage,
        options: Options,
        *,
        prompt: str | None = None,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """A variation of one image: an edit with the variation prompt (the handler sizes it)."""
        job = Job("vary", prompt or self.vary_prompt, options, (image,), user=user)
        return await self.make(job, on_partial)

    @abstractmethod
    async def make(self, job: Job, on_partial: PartialCallback | None) -> GatewayResult:
        """The images of one job."""
