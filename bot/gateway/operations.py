"""What one gateway operation sends: the OpenAI-shaped JSON of a generation, the multipart
form of an edit (several `image[]` parts for a blend, then the mask), or Opper's JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.backend import Job
from bot.gateway import opper as opper_body
from bot.models import Options, SourceImage

PARTIAL_IMAGES = 2
FileField = tuple[str, tuple[str, bytes, str]]


@dataclass(frozen=True)
class Call:
    """One gateway operation, rebuilt into a fresh HTTP request on every attempt."""

    path: str
    model: str
    json_body: bytes | None = None
    form: dict[str, str] | None = None
    files: list[FileField] | None = None
    edit: bool = False
    stream: bool = False
    n: int = 1


def parameters(
    prompt: str, options: Options, model: str, user: str | None, stream: bool, *, edit: bool
) -> dict[str, Any]:
    """The request's parameters: `moderation` on generations only (the multipart edit has
    no such field), `input_fidelity` on edits only."""
    fields = {
        "model": model,
        "prompt": prompt,
        "n": options.n,
        "size": options.size,
        "quality": options.quality,
        "background": options.background,
        "output_format": options.output_format,
        "output_compression": options.output_compression,
        "user": user or None,
        "input_fidelity": options.input_fidelity if edit else None,
        "moderation": None if edit else options.moderation,
    }
    if stream:
        fields |= {"stream": True, "partial_images": PARTIAL_IMAGES}
    return {key: value for key, value in fields.items() if value is not None}


def generation(job: Job, model: str, stream: bool) -> Call:
    """POST /images/generations with a JSON body."""
    fields = parameters(job.prompt, job.options, model, job.user, stream, edit=False)
    body = json.dumps(fields).encode()
    return Call("/images/generations", model, json_body=body, stream=stream, n=job.options.n)


def edit(job: Job, model: str, stream: bool) -> Call:
    """POST /images/edits as multipart: one `image[]` part per source, then the mask."""
    fields = parameters(job.prompt, job.options, model, job.user, stream, edit=True)
    form = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in fields.items()
    }
    files: list[FileField] = [("image[]", _part(source)) for source in job.sources]
    if job.mask is not None:
        files.append(("mask", _part(job.mask)))
    return Call("/images/edits", model, None, form, files, True, stream, job.options.n)


async def opper(job: Job, model: str, store: bool) -> Call:
    """POST {base}/images, Opper's one JSON body for new images and edits."""
    body = await opper_body.request_body(
        job.prompt, job.options, job.sources, job.mask, model, store
    )
    return Call("/images", model, body, edit=bool(job.sources), n=job.options.n)


def _part(image: SourceImage) -> tuple[str, bytes, str]:
    return image.filename, image.data, image.content_type
