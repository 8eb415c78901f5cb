"""Image validation with hostile files, normalisation, masks, and fitting results to a cap."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from bot.errors import ImageRejected
from bot.fitting import fit_for_upload
from bot.gateway.errors import BadGatewayResponse
from bot.images import image_info, load_mask, load_source
from bot.models import SourceImage

MB = 1024 * 1024
NOT_CHARGED = "You were not charged."
SEND = "Send a PNG, JPEG, WebP, GIF, BMP or TIFF file."


def encode(img: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Incompressible pixels, the same on every run."""
    return Image.frombytes(mode, size, random.Random(7).randbytes(size[0] * size[1] * len(mode)))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a size, with a one-byte IDAT: a bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


async def rejected(data: bytes, filename: str, **caps: int) -> str:
    with pytest.raises(ImageRejected) as caught:
        await load_source(data, filename=filename, max_bytes=caps.pop("max_bytes", 25 * MB), **caps)
    return caught.value.message


# Hostile and unusable files


async def test_a_text_file_named_png_is_not_an_image() -> None:
    message = await rejected(b"hello, this is not a picture\n" * 20, "cat.png")
    assert message == f'The file "cat.png" is not an image. {NOT_CHARGED} {SEND}'


async def test_an_empty_file_is_not_an_image() -> None:
    message = await rejected(b"", "empty.png")
    assert message == f'The file "empty.png" is not an image. {NOT_CHARGED} {SEND}'


async def test_a_truncated_png_is_damaged() -> None:
    whole = encode(noise((64, 64)))
    message = await rejected(whole[: len(whole) // 2], "half.png")
    assert message == (
        f'The image "half.png" is damaged or incomplete and cannot be read. {NOT_CHARGED} '
        "Save it again and send it once more."
    )


async def test_a_truncated_jpeg_is_damaged() -> None:
    whole = encode(noise((64, 64)), "JPEG")
    message = await rejected(whole[: len(whole) // 2], "half.jpg")
    assert message.startswith('The image "half.jpg" is damaged or incomplete')


async def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    message = await rejected(png_header_only(100_000, 100_000), "bomb.png")
    assert message == (
        f'The image "bomb.png" has too many pixels; the limit is 40 megapixels. {NOT_CHARGED} '
        "Send a smaller image."
    )


async def test_a_header_over_the_pixel_cap_is_refused_with_its_size() -> None:
    message = await rejected(png_header_only(8_000, 6_000), "big.png")
    assert message == (
        f'The image "big.png" has too many pixels (8000×6000); the limit is 40 megapixels. '
        f"{NOT_CHARGED} Send a smaller image."
    )
    message = await rejected(encode(Image.new("RGB", (300, 200))), "x.png", max_pixels=50_000)
    assert "(300×200); the limit is 0.05 megapixels" in message


async def test_too_many_bytes_is_refused_before_parsing() -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(3 * MB)
    message = await rejected(data, "huge.png", max_bytes=2 * MB)
    assert message == (
        f'The image "huge.png" is too large: 3 MB; the limit is 2 MB. {NOT_CHARGED} '
        "Send a smaller file."
    )


async def test_a_real_image_in_another_format_is_named() -> None:
    message = await rejected(encode(Image.new("RGB", (32, 32)), "ICO"), "icon.ico")
    assert message == (
        f'The image "icon.ico" is in ICO format, which the bot cannot use. {NOT_CHARGED} {SEND}'
    )


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64), "HEIC"),
        (b"%PDF-1.7\n" + bytes(64), "PDF"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
    ],
)
async def test_formats_pillow_cannot_open_are_named(data: bytes, name: str) -> None:
    message = await rejected(data, "photo")
    assert message.startswith(f'The image "photo" is in {name} format, which the bot cannot use.')


async def test_a_hostile_file_name_is_quoted_safely() -> None:
    message = await rejected(b"nope", 'evil"\n\x1b[31m\u202e' + "x" * 100)
    assert message.startswith('The file "evil [31m' + "x" * 50 + '…" is not an image.')


# Normalisation


async def test_a_plain_png_passes_through_untouched() -> None:
    data = encode(noise((120, 80), "RGBA"))
    source = await load_source(data, filename="uploads/cat photo.png", max_bytes=MB)
    assert source == SourceImage(data, "cat-photo.png", "image/png", 120, 80)


async def test_a_plain_jpeg_and_webp_pass_through_untouched() -> None:
    jpeg = encode(noise((64, 48)), "JPEG")
    webp = encode(noise((64, 48)), "WEBP")
    assert (await load_source(jpeg, filename="a.jpeg", max_bytes=MB)).data is jpeg
    got = await load_source(webp, filename="b", max_bytes=MB)
    assert (got.data, got.filename, got.content_type) == (webp, "b.webp", "image/webp")


async def test_an_animated_gif_gives_its_first_frame_as_png() -> None:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    source = await load_source(data, filename="anim.gif", max_bytes=MB)
    img = decode(source.data)
    assert (source.filename, source.content_type, img.format) == ("anim.png", "image/png", "PNG")
    assert (source.width, source.height, img.size) == (40, 30, (40, 30))
    assert getattr(img, "n_frames", 1) == 1
    assert img.convert("RGB").getpixel((20, 15)) == (255, 0, 0)


async def test_a_multi_picture_jpeg_is_a_jpeg_of_its_first_picture() -> None:
    pictures = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue")]
    data = encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert image_info(data) == ("image/jpeg", 40, 30)
    source = await load_source(data, filename="camera.jpg", max_bytes=MB)
    out = decode(source.data)
    assert (source.content_type, out.format, getattr(out, "n_frames", 1)) == (
        "image/jpeg",
        "JPEG",
        1,
    )
    red, green, blue = out.getpixel((20, 15))
    assert red > 230 and green < 30 and blue < 30


async def test_exif_orientation_is_applied_and_the_exif_block_dropped() -> None:
    img = Image.new("RGB", (300, 200), "red")
    img.paste((0, 0, 255), (150, 0, 300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90° clockwise
    exif[0x8825] = {1: "N"}  # a GPS block that must not reach the gateway
    data = encode(img, "JPEG", exif=exif, quality=95)
    source = await load_source(data, filename="phone.jpg", max_bytes=MB)
    out = decode(source.data)
    assert (source.content_type, source.width, source.height) == ("image/jpeg", 200, 300)
    assert out.size == (200, 300)
    top, bottom = out.getpixel((100, 40)), out.getpixel((100, 260))
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert "exif" not in out.info


async def test_an_icc_profile_is_kept_when_re_encoding() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 3
    data = encode(Image.new("RGB", (20, 10), "green"), "JPEG", exif=exif, icc_profile=srgb)
    source = await load_source(data, filename="p.jpg", max_bytes=MB)
    assert decode(source.data).info.get("icc_profile") == srgb


async def test_a_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG")
    assert decode(data).mode == "CMYK"
    source = await load_source(data, filename="print.jpg", max_bytes=MB)
    out = decode(source.data)
    assert (out.format, out.mode, source.content_type) == ("JPEG", "RGB", "image/jpeg")
    red, green, blue = out.getpixel((32, 24))
    assert red > 230 and green < 30 and blue < 30


async def test_a_palette_png_with_transparency_keeps_its_alpha() -> None:
    img = Image.new("P", (32, 32), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(0, (0, 0, 16, 32))
    data = encode(img, "PNG", transparency=0)
    assert decode(data).mode == "P"
    source = await load_source(data, filename="sticker.png", max_bytes=MB)
    out = decode(source.data)
    assert (out.format, out.mode) == ("PNG", "RGBA")
    assert out.getpixel((4, 4))[3] == 0
    assert out.getpixel((24, 4)) == (255, 0, 0, 255)


async def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    row = [32768] * 5 + [0] * 5 + [65535] * 10
    img = Image.frombytes("I;16", (20, 10), struct.pack("<200H", *(row * 10)))
    source = await load_source(encode(img), filename="scan.png", max_bytes=MB)
    out = decode(source.data)
    assert out.mode == "RGB"
    middle, black, white = (out.getpixel((x, 5))[0] for x in (2, 7, 15))
    assert (black, white) == (0, 255)
    assert middle in (127, 128)


async def test_bmp_and_tiff_become_png() -> None:
    for fmt in ("BMP", "TIFF"):
        source = await load_source(
            encode(Image.new("RGB", (30, 20), "blue"), fmt), filename="x", max_bytes=MB
        )
        assert (source.content_type, source.filename) == ("image/png", "x.png")
        assert decode(source.data).getpixel((1, 1)) == (0, 0, 255)


async def test_a_large_image_is_downscaled_to_2048() -> None:
    source = await load_source(
        encode(Image.new("RGB", (4000, 1000), "white")), filename="pano.png", max_bytes=MB
    )
    assert (source.width, source.height) == (2048, 512)
    assert decode(source.data).size == (2048, 512)


# Masks


def like(width: int, height: int) -> SourceImage:
    return SourceImage(b"", "image.png", "image/png", width, height)


def hole_mask(size: tuple[int, int]) -> Image.Image:
    mask = Image.new("RGBA", size, (255, 255, 255, 255))
    mask.paste((0, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    return mask


async def test_a_mask_of_the_same_size_keeps_its_alpha() -> None:
    mask = await load_mask(encode(hole_mask((60, 40))), like=like(60, 40), max_bytes=MB)
    out = decode(mask.data)
    assert (mask.content_type, mask.width, mask.height, out.mode) == ("image/png", 60, 40, "RGBA")
    assert out.getpixel((10, 20))[3] == 0 and out.getpixel((50, 20))[3] == 255


async def test_a_mask_of_the_same_shape_is_resized_to_the_image() -> None:
    source = SourceImage(encode(Image.new("RGB", (300, 200))), width=0, height=0)
    mask = await load_mask(encode(hole_mask((150, 100))), source)
    out = decode(mask.data)
    assert out.size == (300, 200) == (mask.width, mask.height)
    assert out.getpixel((20, 100))[3] == 0 and out.getpixel((280, 100))[3] == 255


async def test_a_mask_of_another_shape_is_refused() -> None:
    with pytest.raises(ImageRejected) as caught:
        await load_mask(encode(hole_mask((100, 100))), like=like(300, 200), max_bytes=MB)
    assert caught.value.message == (
        'The mask "mask.png" is 100×100 but the image is 300×200; they must have the same '
        f"shape. {NOT_CHARGED} Draw the mask over the image itself."
    )


@pytest.mark.parametrize(
    "img",
    [Image.new("RGB", (60, 40), "white"), Image.new("RGBA", (60, 40), (0, 0, 0, 255))],
)
async def test_a_mask_without_transparent_areas_is_refused(img: Image.Image) -> None:
    with pytest.raises(ImageRejected) as caught:
        await load_mask(encode(img), like=like(60, 40), filename="m.png", max_bytes=MB)
    assert caught.value.message == (
        f'The mask "m.png" has no transparent areas. {NOT_CHARGED} '
        "Send a PNG whose transparent parts mark where the image should change."
    )


async def test_a_mask_goes_through_the_same_hostile_file_checks() -> None:
    with pytest.raises(ImageRejected, match="has too many pixels"):
        await load_mask(png_header_only(100_000, 100_000), like=like(60, 40), max_bytes=MB)


async def test_a_mask_too_detailed_for_4_mb_is_refused() -> None:
    mask = Image.merge("RGBA", (*Image.new("RGB", (2048, 2048)).split(), noise((2048, 2048), "L")))
    with pytest.raises(ImageRejected) as caught:
        await load_mask(encode(mask, compress_level=1), like=like(2048, 2048), max_bytes=50 * MB)
    assert caught.value.message == (
        f'The mask "mask.png" is too detailed to send (over 4 MB as PNG). {NOT_CHARGED} '
        "Use a simpler mask."
    )


# Results


async def test_a_result_that_fits_is_returned_as_the_same_bytes() -> None:
    data = encode(noise((256, 128)))
    made = await fit_for_upload(data, cap_bytes=MB, preferred_format="png", filename_stem="i-1")
    assert made.data is data
    assert (made.mime_type, made.filename, made.width, made.height) == (
        "image/png",
        "i-1.png",
        256,
        128,
    )
    uncapped = await fit_for_upload(
        data, cap_bytes=None, preferred_format="png", filename_stem="i-2"
    )
    assert uncapped.data is data


async def test_a_jpeg_result_keeps_its_type_and_extension() -> None:
    data = encode(noise((64, 64)), "JPEG")
    made = await fit_for_upload(data, cap_bytes=MB, preferred_format="jpeg", filename_stem="r")
    assert (made.data, made.mime_type, made.filename) == (data, "image/jpeg", "r.jpg")


async def test_a_result_over_the_cap_is_re_encoded_as_webp_under_it() -> None:
    data = encode(noise((512, 512), "RGBA"))
    made = await fit_for_upload(
        data, cap_bytes=300_000, preferred_format="png", filename_stem="big"
    )
    out = decode(made.data)
    assert len(data) > 300_000 >= len(made.data)
    assert (made.mime_type, made.filename, out.format, out.mode) == (
        "image/webp",
        "big.webp",
        "WEBP",
        "RGBA",
    )
    assert (made.width, made.height) == out.size


async def test_a_result_is_downscaled_when_quality_alone_is_not_enough() -> None:
    data = encode(noise((1536, 1024)))
    made = await fit_for_upload(data, cap_bytes=150_000, preferred_format="webp", filename_stem="s")
    out = decode(made.data)
    assert len(made.data) <= 150_000
    assert out.size == (made.width, made.height)
    assert 256 <= made.width < 1536
    assert abs(made.width / made.height - 1.5) < 0.01


async def test_jpeg_is_kept_when_asked_for_and_alpha_is_flattened() -> None:
    img = noise((512, 512), "RGB").convert("RGBA")
    img.putalpha(0)
    made = await fit_for_upload(
        encode(img), cap_bytes=100_000, preferred_format="jpeg", filename_stem="j"
    )
    out = decode(made.data)
    assert (made.mime_type, made.filename, out.mode) == ("image/jpeg", "j.jpg", "RGB")
    assert len(made.data) <= 100_000
    assert out.getpixel((10, 10)) == (255, 255, 255)


async def test_an_impossible_cap_is_refused() -> None:
    data = encode(noise((512, 512)))
    with pytest.raises(ImageRejected) as caught:
        await fit_for_upload(data, cap_bytes=100, preferred_format="png", filename_stem="x")
    assert caught.value.message == (
        "A generated image is too large to upload here (770 KB; the limit is 100 bytes) "
        "and could not be made small enough. You were not charged."
    )


async def test_a_result_that_is_not_an_image_is_a_bad_gateway_response() -> None:
    with pytest.raises(BadGatewayResponse) as caught:
        await fit_for_upload(b"<html>", cap_bytes=10, preferred_format="png", filename_stem="x")
    assert "(an image could not be read)" in caught.value.message


def test_image_info_reads_only_the_header() -> None:
    whole = encode(noise((320, 200)))
    assert image_info(whole) == ("image/png", 320, 200)
    assert image_info(whole[:200]) == ("image/png", 320, 200)
    assert image_info(encode(noise((30, 20)), "WEBP")) == ("image/webp", 30, 20)
    assert image_info(encode(noise((30, 20)), "JPEG")) == ("image/jpeg", 30, 20)
    with pytest.raises(ImageRejected):
        image_info(b"GIF? no")
