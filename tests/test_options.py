"""The option parser: prompt suffixes, typed options, validation messages, precedence.

Values are checked against the chosen model: the default openai/gpt-image-2 takes free sizes,
bfl/flux-kontext-pro a fixed list and no quality, the retired gpt-image-1 its three sizes.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.catalog import ModelMenu, load_catalog
from bot.errors import BadRequest
from bot.models import Options
from bot.options import build_options, parse_prompt, parse_request
from bot.sizes import source_size

GPT2 = "openai/gpt-image-2"
DEFAULTS = Options(size="1024x1024", quality="medium", model=GPT2)
CATALOG = load_catalog()
MENU = ModelMenu(CATALOG, GPT2, (GPT2, "openai/gpt-image-1", "bfl/flux-kontext-pro"))
KNOWN = (
    "Known options: --size, --ar (--aspect), --quality (--q), --n, --bg (--background), "
    "--format, --compression, --model, --no, --private, --moderation."
)


def request(text: str, typed: dict[str, str | int | None] | None = None, max_n: int = 4):
    return parse_request(text, typed or {}, defaults=DEFAULTS, menu=MENU, max_n=max_n)


def build(raw: dict[str, Any]) -> Options:
    return build_options(raw, defaults=DEFAULTS, menu=MENU)


def rejects(text: str, typed: dict[str, str | int | None] | None = None, max_n: int = 4) -> str:
    """What a refusal says happened; the whole message also says nothing was charged."""
    with pytest.raises(BadRequest) as caught:
        request(text, typed, max_n)
    assert caught.value.message == f"{caught.value.what} You were not charged."
    return caught.value.what


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a fox --size 1536x1024", {"size": "1536x1024"}),
        ("a fox --ar 3:2", {"aspect": "3:2"}),
        ("a fox --aspect 2:3", {"aspect": "2:3"}),
        ("a fox --quality high", {"quality": "high"}),
        ("a fox --q low", {"quality": "low"}),
        ("a fox --n 2", {"n": "2"}),
        ("a fox --bg transparent", {"background": "transparent"}),
        ("a fox --background opaque", {"background": "opaque"}),
        ("a fox --format webp", {"format": "webp"}),
        ("a fox --compression 80", {"compression": "80"}),
        ("a fox --n=3 --format=jpeg", {"n": "3", "format": "jpeg"}),
        ("a fox —ar 16:9 —q high", {"aspect": "16:9", "quality": "high"}),
        ("a fox –n 2", {"n": "2"}),
        ("a fox --Quality HIGH", {"quality": "HIGH"}),
        ("a fox --model bfl/flux-kontext-pro", {"model": "bfl/flux-kontext-pro"}),
    ],
)
def test_every_flag_and_alias_is_split_from_the_prompt(text: str, expected: dict[str, str]) -> None:
    assert parse_prompt(text) == ("a fox", expected)


def test_flags_anywhere_leave_the_rest_of_the_prompt_intact() -> None:
    text = "a red balloon --ar 3:2 on a wooden table\nwith a well-known -- dash --n 2"
    assert parse_prompt(text) == (
        "a red balloon on a wooden table\nwith a well-known -- dash",
        {"aspect": "3:2", "n": "2"},
    )


def test_a_prompt_without_flags_is_returned_unchanged() -> None:
    assert parse_prompt("  a cat—sitting, mid-air — happily  ") == (
        "a cat—sitting, mid-air — happily",
        {},
    )


def test_all_suffixes_become_validated_options() -> None:
    prompt, opts = request(
        "a sticker of a fox —size 1536×1024 --q high --n 3 --bg transparent "
        "--format WEBP --compression 80%"
    )
    assert prompt == "a sticker of a fox"
    assert opts == Options(
        size="1536x1024",
        quality="high",
        n=3,
        background="transparent",
        output_format="webp",
        output_compression=80,
        model=GPT2,
    )


def test_no_options_gives_the_defaults() -> None:
    assert request("a fox") == ("a fox", DEFAULTS)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("1536x1024", "1536x1024"),
        ("1024 × 1536", "1024x1536"),
        ("landscape", "1536x1024"),
        ("Portrait", "1024x1536"),
        ("square", "1024x1024"),
        ("auto", "auto"),
        ("2048x1152", "2048x1152"),
        ("3840x2160", "3840x2160"),
        ("1360 x 768", "1360x768"),
    ],
)
def test_size_spellings_and_free_sizes_on_gpt_image_2(value: str, size: str) -> None:
    assert build({"size": value}).size == size


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("3:2", "1248x832"),
        ("16:9", "1360x768"),
        ("5:4", "1136x912"),
        ("1:1", "1024x1024"),
        ("9:8", "1088x960"),
        ("4:5", "912x1136"),
        ("9:16", "768x1360"),
        ("1.91:1", "1408x736"),
    ],
)
def test_aspect_ratio_maps_to_the_nearest_legal_size_at_about_a_megapixel(
    ratio: str, size: str
) -> None:
    assert request(f"a fox --ar {ratio}")[1].size == size


@pytest.mark.parametrize(
    ("ratio", "size"),
    [("3:2", "1536x1024"), ("16:9", "1536x1024"), ("1:1", "1024x1024"), ("9:16", "1024x1536")],
)
def test_aspect_ratio_on_a_fixed_size_model_picks_the_closest_shape(ratio: str, size: str) -> None:
    assert request(f"a fox --ar {ratio} --model openai/gpt-image-1")[1].size == size


def test_aspect_ratio_on_a_model_with_its_own_list_picks_from_that_list() -> None:
    flux = request("a fox --ar 16:9 --model bfl/flux-kontext-pro")[1]
    assert (flux.size, flux.quality) == ("1392x752", None)
    assert request("a fox --ar 2:3 --model bfl/flux-kontext-pro")[1].size == "832x1248"


def test_sources_keep_their_shape_at_the_nearest_legal_size() -> None:
    gpt2, gpt1 = CATALOG.find(GPT2), CATALOG.find("gpt-image-1")
    assert gpt2 is not None and gpt1 is not None
    assert source_size(gpt2[0], 4032, 3024) == "1456x1088"
    assert source_size(gpt2[0], 1080, 1920) == "944x1680"
    assert source_size(gpt2[0], 1024, 1536) == "1024x1536"
    assert source_size(gpt2[0], 500, 480) == "832x800"
    assert source_size(gpt1[0], 4032, 3024) == "1536x1024"
    assert source_size(gpt1[0], 1080, 1920) == "1024x1536"


def test_the_chosen_model_travels_in_the_options() -> None:
    assert request("a fox --model gpt-image-2")[1].model == GPT2
    flux = request("a fox --model bfl/flux-kontext-pro")[1]
    assert flux == Options(size="1024x1024", quality=None, model="bfl/flux-kontext-pro")


def test_a_model_that_is_not_offered_is_refused_with_the_list() -> None:
    assert rejects("a fox --model openai/gpt-image-2.6-flare") == (
        'The model "openai/gpt-image-2.6-flare" is not offered here. Choose one of: '
        "openai/gpt-image-2, openai/gpt-image-1, bfl/flux-kontext-pro."
    )


def test_jpg_is_jpeg() -> None:
    assert request("a fox --format jpg")[1].output_format == "jpeg"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a fox --style raw", f"Unknown option --style. {KNOWN}"),
        ("a fox —chaos 5", f"Unknown option --chaos. {KNOWN}"),
        ("a fox --quality", "--quality needs a value, e.g. --quality high."),
        ("a fox --n --q high", "--n needs a value, e.g. --n 2."),
        ("a fox --ar=", "--ar needs a value, e.g. --ar 3:2."),
        ("a fox --n 2 --n 3", "--n is given twice; keep one."),
        ("a fox --quality low --q high", "--q is given twice; keep one."),
        (
            "a fox --size 800x600",
            "openai/gpt-image-2 cannot make 800x600: both sides must be multiples of 16. "
            "Nearest: 944x704 or 928x720.",
        ),
        (
            "a fox --size 4096x4096",
            "openai/gpt-image-2 cannot make 4096x4096: the longer side can be at most 3840. "
            "Nearest: 2880x2880 or 2864x2896.",
        ),
        (
            "a fox --size 3840x768",
            "openai/gpt-image-2 cannot make 3840x768: the shape must lie between 1:3 and 3:1. "
            "Nearest: 2976x992 or 2960x992.",
        ),
        (
            "a fox --size 512x512",
            "openai/gpt-image-2 cannot make 512x512: the area must be 655,360 to 8,294,400 "
            "pixels. Nearest: 816x816 or 832x816.",
        ),
        (
            "a fox --size 800x600 --model openai/gpt-image-1",
            "openai/gpt-image-1 cannot make 800x600. "
            "Use one of: 1024x1024, 1536x1024, 1024x1536, auto.",
        ),
        (
            "a fox --size auto --model bfl/flux-kontext-pro",
            'Unknown size "auto". Use one of: 1024x1024, 1184x880, 880x1184, 1248x832, '
            "832x1248, 1392x752, 752x1392.",
        ),
        (
            "a fox --quality high --model bfl/flux-kontext-pro",
            "bfl/flux-kontext-pro has no quality setting; leave out --quality.",
        ),
        (
            "a fox --format webp --model bfl/flux-kontext-pro",
            "bfl/flux-kontext-pro does not make webp; use --format png or jpeg.",
        ),
        (
            "a fox --bg transparent --model bfl/flux-kontext-pro",
            "bfl/flux-kontext-pro cannot make transparent backgrounds; leave out --bg, or "
            "choose another model with --model.",
        ),
        (
            "a fox --n 2 --model bfl/flux-kontext-pro",
            'The number of images (--n) must be a whole number from 1 to 1, not "2".',
        ),
        (
            "a fox --ar wide",
            'Unknown aspect ratio "wide". Write it as width:height, e.g. --ar 3:2.',
        ),
        ("a fox --ar 0:1", 'Unknown aspect ratio "0:1". Write it as width:height, e.g. --ar 3:2.'),
        ("a fox --size 1536x1024 --ar 1:1", "Use either --size or --ar, not both."),
        (
            "a fox --quality ultra",
            'Unknown quality "ultra". Use one of: low, medium, high, auto.',
        ),
        ("a fox --format gif", 'Unknown format "gif". Use one of: png, jpeg, webp.'),
        (
            "a fox --bg clear",
            'Unknown background "clear". Use one of: transparent, opaque, auto.',
        ),
        (
            "a fox --n 0",
            'The number of images (--n) must be a whole number from 1 to 4, not "0".',
        ),
        (
            "a fox --n 5",
            'The number of images (--n) must be a whole number from 1 to 4, not "5".',
        ),
        (
            "a fox --n two",
            'The number of images (--n) must be a whole number from 1 to 4, not "two".',
        ),
        (
            "a fox --n ²",
            'The number of images (--n) must be a whole number from 1 to 4, not "²".',
        ),
        (
            "a fox --format webp --compression 101",
            'Compression (--compression) must be a whole number from 0 to 100, not "101".',
        ),
        (
            "a fox --format webp --compression -5",
            'Compression (--compression) must be a whole number from 0 to 100, not "-5".',
        ),
        (
            "a fox --compression 80",
            "--compression works only with --format jpeg or --format webp (PNG is lossless).",
        ),
        (
            "a fox --bg transparent --format jpeg",
            "A transparent background needs PNG or WebP, and JPEG has no transparency: "
            "use --format png.",
        ),
        ("--n 2 --q high", "Write a prompt, e.g. /imagine a red balloon on a wooden table"),
        ("   ", "Write a prompt, e.g. /imagine a red balloon on a wooden table"),
    ],
)
def test_refusals_say_what_would_work(text: str, message: str) -> None:
    assert rejects(text) == message


def test_n_is_capped_at_ten_whatever_max_n_says() -> None:
    assert request("a fox --n 10", max_n=50)[1].n == 10
    assert rejects("a fox --n 11", max_n=50) == (
        'The number of images (--n) must be a whole number from 1 to 10, not "11".'
    )


def test_a_prompt_of_32000_characters_is_the_longest_allowed() -> None:
    assert len(request("a" * 32_000)[0]) == 32_000
    assert rejects("a" * 32_001) == (
        "The prompt is too long: 32,001 characters; the limit is 32,000."
    )


def test_vary_may_have_no_prompt() -> None:
    got = parse_request("--n 2", {}, defaults=DEFAULTS, menu=MENU, max_n=4, require_prompt=False)
    assert got == ("", Options(n=2, model=GPT2))


def test_typed_options_go_through_the_same_validation() -> None:
    prompt, opts = request("a fox", {"size": "portrait", "n": 2, "quality": "high"})
    assert (prompt, opts.size, opts.n, opts.quality) == ("a fox", "1024x1536", 2, "high")
    assert rejects("a fox", {"n": 7}) == (
        'The number of images (--n) must be a whole number from 1 to 4, not "7".'
    )
    assert rejects("a fox", {"size": "huge"}) == (
        'Unknown size "huge". Use any WxH with sides in multiples of 16, up to 3840 on a side, '
        "shapes from 1:3 to 3:1, 655,360-8,294,400 pixels, e.g. 1536x1024 or 2048x1152."
    )
    assert rejects("a fox", {"colour": "red"}) == f"Unknown option colour. {KNOWN}"


def test_typed_option_names_match_the_options_fields_too() -> None:
    opts = build({"output_format": "jpeg", "output_compression": 60})
    assert (opts.output_format, opts.output_compression) == ("jpeg", 60)


def test_typed_option_wins_over_the_same_suffix() -> None:
    assert request("a fox --q low --n 3", {"quality": "high"})[1] == Options(
        quality="high", n=3, model=GPT2
    )


def test_suffix_fills_in_a_typed_option_that_was_not_given() -> None:
    opts = request("a fox --q low --n 3", {"quality": None, "n": "", "size": None})[1]
    assert (opts.quality, opts.n) == ("low", 3)


def test_typed_size_overrides_an_aspect_suffix() -> None:
    assert request("a fox --ar 2:3", {"size": "landscape"})[1].size == "1536x1024"
    assert request("a fox --size 1024x1536", {"aspect": "3:2"})[1].size == "1248x832"


def test_combination_is_checked_after_merging() -> None:
    assert rejects("a fox --bg transparent", {"format": "jpeg"}).startswith(
        "A transparent background needs PNG or WebP"
    )
    opts = request("a fox --format jpeg", {"background": "transparent", "format": "png"})[1]
    assert (opts.background, opts.output_format) == ("transparent", "png")


@pytest.mark.parametrize(
    ("text", "typed", "prompt"),
    [
        (
            "a fox --no text, watermarks",
            {},
            "a fox. Leave these out of the image entirely: text, watermarks.",
        ),
        ("a fox --no trees --ar 3:2", {}, "a fox. Leave these out of the image entirely: trees."),
        (
            "a fox —no=red balloons.",
            {},
            "a fox. Leave these out of the image entirely: red balloons.",
        ),
        ("a fox", {"avoid": "people"}, "a fox. Leave these out of the image entirely: people."),
        (
            "a fox --no trees",
            {"avoid": "people"},
            "a fox. Leave these out of the image entirely: people.",
        ),
        ("a fox", {"avoid": "  "}, "a fox"),
    ],
)
def test_no_becomes_an_instruction_to_leave_things_out(
    text: str, typed: dict[str, str | int | None], prompt: str
) -> None:
    assert request(text, typed)[0] == prompt


def test_no_runs_to_the_next_flag_and_the_flag_still_counts() -> None:
    prompt, opts = request("a fox --no trees, rivers --ar 3:2 --q high")
    assert prompt == "a fox. Leave these out of the image entirely: trees, rivers."
    assert (opts.size, opts.quality) == ("1248x832", "high")


def test_no_needs_something_to_leave_out() -> None:
    assert rejects("a fox --no") == "--no needs a value, e.g. --no text, watermarks."
    assert rejects("a fox --no --ar 3:2") == "--no needs a value, e.g. --no text, watermarks."


@pytest.mark.parametrize(
    ("text", "typed", "private", "prompt"),
    [
        ("a fox --private", {}, True, "a fox"),
        ("--private a fox in snow", {}, True, "a fox in snow"),
        ("a fox --private=false", {}, False, "a fox"),
        ("a fox", {"private": True}, True, "a fox"),
        ("a fox", {}, False, "a fox"),
    ],
)
def test_private_is_a_switch(
    text: str, typed: dict[str, str | int | None], private: bool, prompt: str
) -> None:
    got_prompt, opts = request(text, typed)
    assert (got_prompt, opts.private) == (prompt, private)


def test_private_refuses_a_value_that_is_not_a_switch() -> None:
    assert rejects("a fox --private=maybe") == (
        '--private is a switch: write --private alone (or --private=false), not "maybe".'
    )


def test_moderation_low_or_auto_is_parsed() -> None:
    assert request("a fox --moderation low")[1].moderation == "low"
    assert request("a fox", {"moderation": "AUTO"})[1].moderation == "auto"
    assert request("a fox")[1].moderation is None
    assert rejects("a fox --moderation none") == 'Unknown moderation "none". Use one of: low, auto.'
