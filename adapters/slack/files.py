"""Slack files: read a user's images through url_private, upload results with files_upload_v2."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import images
from bot.config import Settings
from bot.errors import ImageRejected
from bot.fetch import Hosts, OffHost, Refused, TooLarge, fetch
from bot.models import GeneratedImage, SourceImage
from bot.text import inert_line

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
SLACK_FILE_HOSTS = ("https://files.slack.com", "https://files.slack-gov.com")
MISSING_FILES_READ = (
    "I can't read files in this workspace: the Slack app lacks the files:read scope."
)
ADD_FILES_READ = "Ask a workspace admin to add files:read to the app and reinstall it."


@dataclass(frozen=True)
class SlackFile:
    """The parts of a Slack file object the bot uses."""

    id: str
    name: str
    mimetype: str
    size: int
    url_private: str

    @property
    def is_image(self) -> bool:
        """Whether Slack says this file is an image."""
        return self.mimetype.startswith("image/")


def to_file(obj: Mapping[str, Any]) -> SlackFile:
    """A SlackFile from a file object in a message, an event or files.info."""
    return SlackFile(
        id=str(obj.get("id", "")),
        name=inert_line(str(obj.get("name") or obj.get("title") or "")) or "image",
        mimetype=str(obj.get("mimetype", "")),
        size=int(obj.get("size") or 0),
        url_private=str(obj.get("url_private_download") or obj.get("url_private") or ""),
    )


def message_files(message: Mapping[str, Any]) -> list[SlackFile]:
    """Every file attached to a message."""
    return [to_file(obj) for obj in message.get("files") or () if isinstance(obj, Mapping)]


def pick_images(files: Sequence[SlackFile]) -> list[SlackFile]:
    """The image files among a message's files, or a friendly error when there are none."""
    found = [f for f in files if f.is_image]
    if found:
        return found
    if files:
        names = ", ".join(f.name for f in files[:3])
        raise ImageRejected(
            f"{names} is not an image. Pick a message with a PNG, JPEG or WebP image."
        )
    raise ImageRejected("That message has no image to work on.")


async def file_info(client: AsyncWebClient, file_id: str) -> SlackFile:
    """Fresh details of one file (its url_private) by id."""
    try:
        response = await client.files_info(file=file_id)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "missing_scope":
            raise ImageRejected(MISSING_FILES_READ, then=ADD_FILES_READ) from None
        raise ImageRejected(f"That image is no longer available in Slack ({error}).") from None
    return to_file(response["file"])


def file_hosts(api_url: str) -> Hosts:
    """Where the bot token may go: Slack's file hosts and the Web API's own origin."""
    return Hosts.of(*SLACK_FILE_HOSTS, api_url)


async def download(
    http: httpx.AsyncClient, file: SlackFile, token: str, hosts: Hosts, max_bytes: int
) -> bytes:
    """The bytes of a private file, read with the bot token; friendly errors for every failure.

    The token goes only to `hosts`: a file elsewhere, or a redirect away, is not fetched.
    """
    if file.size > max_bytes:
        raise too_large(file, max_bytes)
    try:
        got = await fetch(
            http,
            file.url_private,
            max_bytes=max_bytes,
            timeout=DOWNLOAD_TIMEOUT,
            allowed=hosts,
            secret={"Authorization": f"Bearer {token}"},
            secret_hosts=hosts,
        )
    except OffHost as exc:
        log.warning("Slack file %s not fetched: %s", file.id, exc)
        raise off_slack(file) from None
    except TooLarge:
        raise too_large(file, max_bytes) from None
    except (Refused, httpx.HTTPError) as exc:
        log.warning("download of Slack file %s failed: %s", file.id, type(exc).__name__)
        raise ImageRejected(
            f"I could not download {file.name} from Slack.", then="Try again in a minute."
        ) from None
    if got.status != 200:
        raise ImageRejected(
            f"Slack would not hand over {file.name} (HTTP {got.status}).",
            then="Try again, or upload the image again.",
        )
    if got.content_type.startswith("text/html"):
        raise ImageRejected(MISSING_FILES_READ, then=ADD_FILES_READ)
    return got.data


def off_slack(file: SlackFile) -> ImageRejected:
    """The refusal of a file whose link (or a redirect) leaves Slack's file hosts."""
    return ImageRejected(
        f"{file.name} is not on Slack's file servers, so I did not fetch it.",
        then="Upload the image to Slack itself and try again.",
    )


def too_large(file: SlackFile, max_bytes: int) -> ImageRejected:
    """The error for a file over the size limit."""
    return ImageRejected(
        f"{file.name} is too large: the limit is {size_text(max_bytes)}.",
        then="Use a smaller image.",
    )


def size_text(count: int) -> str:
    """'25 MB', '512 KB' or '900 bytes'."""
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.3g} MB"
    if count >= 1024:
        return f"{count / 1024:.3g} KB"
    return f"{count} bytes"


async def load_sources(
    http: httpx.AsyncClient, files: Sequence[SlackFile], token: str, settings: Settings
) -> tuple[SourceImage, ...]:
    """Download and validate images, in order."""
    hosts, max_bytes = file_hosts(settings.slack_api_url), settings.max_source_bytes
    sources = []
    for file in files:
        if not file.is_image:
            raise ImageRejected(f"{file.name} is not an image. Use a PNG, JPEG or WebP image.")
        data = await download(http, file, token, hosts, max_bytes)
        sources.append(await images.load_source(data, filename=file.name, max_bytes=max_bytes))
    return tuple(sources)


async def upload(
    client: AsyncWebClient,
    channel_id: str,
    thread_ts: str | None,
    made: Sequence[GeneratedImage],
    comment: str,
) -> list[str]:
    """Upload images into a channel (or thread) with one comment; returns the new file ids."""
    uploads = [
        {"file": image.data, "filename": image.filename, "title": image.filename} for image in made
    ]
    response = await client.files_upload_v2(
        file_uploads=uploads,
        channel=channel_id,
        thread_ts=thread_ts,
        initial_comment=comment,
    )
    return [str(f["id"]) for f in response.get("files") or ()]
