"""Server-sent events split at LF, CRLF or CR wherever the chunks fall; a long line is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.fetch import TooLarge
from bot.gateway.wire import sse_events


class Chunks(httpx.AsyncByteStream):
    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


async def events(*chunks: bytes, cap: int = 1024) -> list[tuple[str, str]]:
    response = httpx.Response(200, stream=Chunks(*chunks))
    return [pair async for pair in sse_events(response, cap)]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
async def test_events_split_at_every_line_end_across_chunks(end: bytes) -> None:
    body = end.join([b"event: a", b'data: {"x":', b"data: 1}", b"", b"data: two", b"", b""])
    split = [body[i : i + 3] for i in range(0, len(body), 3)]
    assert await events(*split) == [("a", '{"x":\n1}'), ("", "two")]
    assert await events(body) == [("a", '{"x":\n1}'), ("", "two")]


async def test_a_line_or_event_past_the_cap_is_refused() -> None:
    with pytest.raises(TooLarge):
        await events(b"data: " + b"x" * 600, b"x" * 600)
    with pytest.raises(TooLarge):
        await events(b"data: " + b"x" * 600 + b"\n", b"data: " + b"x" * 600 + b"\n\n")
    assert await events(b"data: " + b"x" * 600 + b"\n\n", b"data: y\n\n") == [
        ("", "x" * 600),
        ("", "y"),
    ]
