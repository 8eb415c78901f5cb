"""The one interface every image source implements, so the handler never knows which it has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.models import GatewayResult, Options, PartialCallback, SourceImage


class ImageBackend(Protocol):
    """What makes images: the gateway client, or the offline placeholder drawer."""

    async def generate(
        self,
        prompt: str,
        options: Options,
        *,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """Create images from a prompt."""
        ...

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
        """Change source images as the prompt says."""
        ...

    async def vary(
        self,
        image: SourceImage,
        options: Options,
        *,
        prompt: str | None = None,
        user: str | None = None,
        on_partial: PartialCallback | None = None,
    ) -> GatewayResult:
        """Make a variation of one image."""
        ...
