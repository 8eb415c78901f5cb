"""Opper's images protocol (`POST {base}/images`): one JSON body for new images and edits.

The first source is `image`, any further ones (a blend) `reference_images`, the mask `mask`,
each a data URI. Opper has no fields of its own for moderation or input fidelity; they go
in `parameters`, which Opper passes to the provider as they are (unverified: Opper's docs
do not name them; a provider that refuses one answers with a clear error).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.errors import BadRequest
from bot.gateway.decoding import data_uri, off_loop
from bot.models import Options, SourceImage

MAX_N = 4


async def request_body(
    prompt: str,
    options: Options,
    images: Sequence[SourceImage],
    mask: SourceImage | None,
    model: str,
    store: bool,
) -> bytes:
    """The JSON body of one request; sources and mask go inline as data URIs."""
    if options.n > MAX_N:
        raise BadRequest(
            f"This image service makes at most {MAX_N} images per request; "
            f"ask for {MAX_N} or fewer."
        )
    parameters = {
        "output_format": options.output_format,
        "background": options.background,
        "output_compression": options.output_compression,
        "moderation": None if images else options.moderation,
        "input_fidelity": options.input_fidelity if images else None,
    }
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "n": options.n,
        "response_format": "b64_json",
        "store": store,
        "parameters": {key: value for key, value in parameters.items() if value is not None},
    }
    chosen = {"size": options.size, "quality": options.quality}
    body |= {k: v for k, v in chosen.items() if v not in ("auto", None)}  # Opper: no auto
    uris = [await data_uri(image) for image in images]
    if uris:
        body["image"] = uris[0]
    if uris[1:]:
        body["reference_images"] = uris[1:]
    if mask is not None:
        body["mask"] = await data_uri(mask)
    return await off_loop(bool(images), lambda: json.dumps(body).encode())
