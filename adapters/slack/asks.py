"""Slack's events as the runner's requests: who asked, the images they point at, and where."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.slack.context import Place, Services
from adapters.slack.files import SlackFile, file_info, load_sources
from adapters.slack.surface import SlackSurface
from bot.models import SourceImage
from bot.requests import Ask
from bot.requests.ask import Sources

FileRef = SlackFile | str


def file_ids(refs: Sequence[FileRef]) -> tuple[str, ...]:
    """The Slack file ids of images given as files or ids."""
    return tuple(ref.id if isinstance(ref, SlackFile) else ref for ref in refs)


def file_sources(svc: Services, refs: Sequence[FileRef]) -> Sources:
    """The images given as Slack files or file ids, downloaded and checked when the runner
    asks for them (after the working message is up)."""

    async def load() -> tuple[SourceImage, ...]:
        files = [
            ref if isinstance(ref, SlackFile) else await file_info(svc.client, ref) for ref in refs
        ]
        return await load_sources(svc.http, files, svc.token, svc.settings)

    return load


async def submit(svc: Services, place: Place, ask: Ask, refs: Sequence[FileRef] = ()) -> None:
    """Run `ask` to its end, shown in `place` (or the person's direct messages, when
    private); `refs` are the files it works on."""
    surface = SlackSurface(svc, place, file_ids(refs))
    await svc.runner.submit(ask, surface)
