"""Reading the web face's forms: url-encoded ones, and the editor's multipart one with caps."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from bot.web.signing import Refusal

TOO_LARGE = Refusal(
    413,
    "That was too much to send",
    "The form was larger than the bot accepts. Nothing was changed or charged.",
)


async def multipart_fields(request: web.Request, caps: dict[str, int]) -> dict[str, str]:
    """The text fields named in `caps`, each read up to its cap in bytes; others skipped."""
    fields: dict[str, str] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name not in caps:
            continue
        cap = caps[part.name]
        data = bytearray()
        while chunk := await part.read_chunk():
            data += chunk
            if len(data) > cap:
                raise TOO_LARGE
        fields[part.name] = data.decode("utf-8", errors="replace")
    return fields


async def url_fields(request: web.Request) -> dict[str, str]:
    """An url-encoded form's text fields (aiohttp caps the body at 1 MiB)."""
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise TOO_LARGE from None
    return {key: value for key, value in form.items() if isinstance(value, str)}
