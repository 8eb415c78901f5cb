"""Opper's images protocol (`POST {base}/images`): one JSON body for new images and edits.

The first source is `image`, any further ones (a blend) `reference_images`, the mask `mask`,
each a data URI. Opper has no fields of its own for the output format, background,
compression, moderation or input fidelity; they go in `parameters` under the provider's own
names (OpenAI's here), which Opper forwards to the provider verbatim. Checked against Opper's
create-image reference (docs.opper.ai/v3-api-reference/images/create-image, 2026-12-01): the
body fields are model, prompt, n (at most 4), size, aspect_ratio, quality, style,
response_format, store, parameters, image, mask and reference_images. What a provider does
with a forwarded key is its own; one that refuses a key answers with a clear error.
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
