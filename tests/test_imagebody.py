"""ImageBody against json.loads + base64: every way of cutting a body gives the same answer."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from bot.gateway.imagebody import ImageBody

FIRST = os.urandom(3000)
SECOND = os.urandom(2001)  # padded base64
TRICKY_PROMPT = 'a sign that says "b64_json": "AAAA" and a backslash \\'


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def body(**extra: Any) -> bytes:
    payload = {
        "created": 1,
        "data": [
            {"b64_json": encoded(FIRST), "revised_prompt": TRICKY_PROMPT},
            {"revised_prompt": None, "b64_json": encoded(SECOND)},
        ],
        "usage": {"input_tokens": 7, "output_tokens": 2112},
    }
    return json.dumps(payload | extra, indent=1).encode()


def fed(raw: bytes, size: int) -> ImageBody:
    reader = ImageBody()
    for start in range(0, len(raw), size):
        reader.feed(raw[start : start + size])
    return reader


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 1000, 10**6])
def test_any_chunking_gives_decoded_images_and_the_rest_intact(size: int) -> None:
    raw = body()
    reader = fed(raw, size)
    payload = reader.parse()

    assert [item["b64_json"] for item in payload["data"]] == [FIRST, SECOND]
    assert payload["data"][0]["revised_prompt"] == TRICKY_PROMPT
    assert payload["usage"] == {"input_tokens": 7, "output_tokens": 2112}
    assert len(reader) == len(raw)
    assert reader.cheap


@pytest.mark.parametrize("size", [1, 7, 10**6])
def test_escaped_slashes_fall_back_to_the_whole_body(size: int) -> None:
    raw = body().replace(b"/", b"\\/")
    payload = fed(raw, size).parse()

    assert [item["b64_json"] for item in payload["data"]] == [encoded(FIRST), encoded(SECOND)]


@pytest.mark.parametrize("text", ["%%% not base64 %%%", "QUJD=QUJD", "QUJ", "", "===="], ids=repr)
def test_unusual_strings_come_back_as_text_for_the_caller_to_judge(text: str) -> None:
    raw = json.dumps({"data": [{"b64_json": text}]}).encode()
    for size in (1, 3, 100):
        assert fed(raw, size).parse() == {"data": [{"b64_json": text}]}


def test_a_key_named_like_the_image_key_falls_back_to_the_whole_body() -> None:
    value = {'say "b64_json': "QUJD", "data": [{"b64_json": "QUJE"}]}
    assert fed(json.dumps(value).encode(), 4).parse() == value


def test_an_image_key_outside_data_is_left_as_text() -> None:
    raw = json.dumps({"b64_json": "QUJD", "data": [{"b64_json": "QUJE"}]}).encode()
    assert fed(raw, 5).parse() == {"b64_json": "QUJD", "data": [{"b64_json": "QUJE"}]}


def test_url_results_and_other_shapes_parse_as_plain_json() -> None:
    for value in ({"data": [{"url": "https://example.com/a.png"}]}, [1, 2], {"data": None}):
        assert fed(json.dumps(value).encode(), 3).parse() == value


@pytest.mark.parametrize("cut", [10, 40, -30, -1])
def test_a_truncated_body_is_not_json(cut: int) -> None:
    with pytest.raises(ValueError):
        fed(body()[:cut], 16).parse()
