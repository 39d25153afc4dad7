"""Uploads with real files made here: a photo comes back without its metadata,
upright, in every size; anything that only pretends to be an image is refused
in Italian, nothing is stored, and the worker goes on answering."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageCms

from blog.extensions import db
from blog.models import MediaFile
from tests.helpers import soup, text_of
from tests.media.conftest import upload
from tests.media.images import (
    EXIF_IFD,
    GPS_IFD,
    HTML,
    SERIAL,
    SVG,
    XMP,
    bomb_bytes,
    gif_bytes,
    halves_photo,
    photo_bytes,
    png_bytes,
)


def stored_images(app) -> list[MediaFile]:
    with app.app_context():
        return list(db.session.scalars(sa.select(MediaFile).order_by(MediaFile.id)))


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def only_image(app) -> MediaFile:
    images = stored_images(app)
    assert len(images) == 1
    return images[0]


def test_a_photo_comes_back_without_its_gps_position_serial_or_xmp(app, author, media_dir):
    original = photo_bytes()
    # What the camera wrote is really there to begin with.
    with Image.open(io.BytesIO(original)) as source:
        assert source.getexif().get_ifd(GPS_IFD)[2] == (46.0, 31.0, 42.0)
        assert source.getexif().get_ifd(EXIF_IFD)
        assert "xmp" in source.info
    assert SERIAL.encode() in original

    response = upload(author, original, "IMG_0042.jpg")
    assert response.status_code == 303
    page = soup(author.get(response.headers["Location"]))
    assert "Immagine caricata: IMG_0042.jpg" in text_of(page)

    media = only_image(app)
    assert len(media.file_names()) == 6  # three widths, WebP and JPEG
    assert files_in(media_dir) == sorted(media.file_names())
    for name in media.file_names():
        data = (media_dir / name).read_bytes()
        with Image.open(io.BytesIO(data)) as stored:
            exif = stored.getexif()
            assert len(exif) == 0, name
            assert not exif.get_ifd(GPS_IFD) and not exif.get_ifd(EXIF_IFD), name
            assert not {"exif", "xmp", "icc_profile", "comment"} & set(stored.info), name
        assert b"Exif\x00\x00" not in data, name
        assert SERIAL.encode() not in data and XMP[-40:] not in data, name


def test_sizes_for_srcset_in_webp_and_the_original_format(app, author, media_dir):
    assert upload(author, photo_bytes(2000, 1000), "largo.jpg").status_code == 303
    media = only_image(app)
    assert media.sizes == [
        {"width": 480, "height": 240},
        {"width": 960, "height": 480},
        {"width": 1600, "height": 800},
    ]
    assert (media.width, media.height, media.fallback, media.mime) == (
        1600,
        800,
        "jpeg",
        "image/jpeg",
    )
    for size in media.sizes:
        for kind, pillow_format in (("webp", "WEBP"), ("jpeg", "JPEG")):
            path = media_dir / media.file_name(size["width"], kind)
            with Image.open(path) as stored:
                assert stored.format == pillow_format
                assert stored.size == (size["width"], size["height"])
    assert media.bytes == sum((media_dir / name).stat().st_size for name in media.file_names())


def test_a_small_image_is_never_enlarged_and_a_png_keeps_its_transparency(app, author, media_dir):
    assert upload(author, png_bytes(300, 200, "RGBA"), "logo.png").status_code == 303
    media = only_image(app)
    assert media.sizes == [{"width": 300, "height": 200}]
    assert media.fallback == "png"
    with Image.open(media_dir / media.file_name(300, "png")) as stored:
        assert stored.format == "PNG" and stored.mode == "RGBA"
    with Image.open(media_dir / media.file_name(300, "webp")) as stored:
        assert stored.mode == "RGBA"


def test_a_still_gif_is_kept_as_png_and_webp(app, author, media_dir):
    assert upload(author, gif_bytes(), "icona.gif").status_code == 303
    media = only_image(app)
    assert media.fallback == "png"
    assert (media_dir / media.file_name(64, "png")).exists()


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_orientation_is_applied_to_the_pixels(app, author, media_dir, orientation):
    assert upload(author, halves_photo(orientation), "girata.jpg").status_code == 303
    media = only_image(app)
    with Image.open(media_dir / media.file_name(media.width, "jpeg")) as stored:
        assert ORIENTATION_TAG not in stored.getexif()
        rgb = stored.convert("RGB")
        if orientation == 3:  # turned upside down: blue on the left now
            assert stored.size == (300, 200)
            left, right = rgb.getpixel((10, 100)), rgb.getpixel((290, 100))
            assert left[2] > 150 > left[0] and right[0] > 150 > right[2]
        else:  # a quarter turn: portrait, the halves on top of each other
            assert stored.size == (200, 300)
            top, bottom = rgb.getpixel((100, 10)), rgb.getpixel((100, 290))
            red_on_top = orientation == 6  # 90° clockwise: the left edge goes up
            assert (top[0] > 150 > top[2]) is red_on_top
            assert (bottom[2] > 150 > bottom[0]) is red_on_top


ORIENTATION_TAG = 0x0112


def valid_gif_then_html() -> bytes:
    """A whole, valid GIF with a page after it: browsers sniffing it find HTML."""
    return gif_bytes() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def photo_with_script_inside() -> bytes:
    """A whole JPEG with a script in a comment segment, as polyglot payloads hide."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 10)).save(
        buffer, "JPEG", comment=b"<script>alert(document.cookie)</script>"
    )
    return buffer.getvalue()


REFUSED = [
    pytest.param(b"GIF89a<html><script>alert(1)</script></html>", "finta.gif",
                 "non è un'immagine", id="GIF header followed by HTML"),
    pytest.param(valid_gif_then_html(), "gifar.gif", "codice", id="valid GIF followed by HTML"),
    pytest.param(photo_with_script_inside(), "foto.jpg", "codice", id="script in a JPEG comment"),
    pytest.param(SVG, "disegno.png", "non è un'immagine", id="SVG named .png"),
    pytest.param(HTML, "foto.jpg", "non è un'immagine", id="HTML named .jpg"),
    pytest.param(photo_bytes()[:20000], "tagliata.jpg", "danneggiato o incompleto",
                 id="truncated JPEG"),
    pytest.param(bomb_bytes(), "bomba.png", "più pixel", id="decompression bomb 30000x30000"),
    pytest.param(bomb_bytes(8000, 6000), "grande.png", "8000 × 6000", id="48 MP over 40 MP"),
    pytest.param(gif_bytes(frames=3), "animata.gif", "animate", id="animated GIF"),
    pytest.param(b"", "vuoto.jpg", "Scegli un'immagine", id="empty file"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "filename", "said"), REFUSED)
def test_what_is_not_an_image_is_refused_in_italian(app, author, media_dir, data, filename, said):
    response = upload(author, data, filename)
    assert response.status_code == 422
    error = soup(response).find(id="file-error")
    assert error is not None and said in text_of(error)
    assert stored_images(app) == []
    assert files_in(media_dir) == []
    # The worker survives: the next requests are answered as usual.
    assert author.get("/").status_code == 200
    assert upload(author, png_bytes(40, 30), "dopo.png").status_code == 303


def test_a_file_over_media_max_bytes_is_refused_in_words(app, author, media_dir):
    app.config["MEDIA_MAX_BYTES"] = 100 * 1024
    data = photo_bytes(2200, 1500)
    assert 100 * 1024 < len(data) < (100 + 64) * 1024  # the form fits, the file does not
    response = upload(author, data, "grande.jpg")
    assert response.status_code == 422
    assert "troppo grande: al massimo 0,1 MB" in text_of(soup(response).find(id="file-error"))
    assert stored_images(app) == [] and files_in(media_dir) == []


def test_a_request_over_the_limit_is_a_413_page_in_italian(app, author, media_dir):
    app.config["MEDIA_MAX_BYTES"] = 10_000
    response = upload(author, bytes(200_000), "enorme.jpg")
    assert response.status_code == 413
    page = soup(response)
    assert "Il file è troppo grande" in text_of(page.find(id="file-error"))
    assert page.find("form", id="upload-form") is not None
    assert stored_images(app) == [] and files_in(media_dir) == []
    assert author.get("/").status_code == 200


def test_uploads_take_more_than_other_forms_but_other_forms_do_not(app, author):
    # MAX_CONTENT_LENGTH (256 KB) still bounds every other POST.
    big = {"csrf_token": "x", "comment": "a" * 300_000}
    assert author.post("/moderation/profile", data=big).status_code == 413
    assert upload(author, photo_bytes(3000, 2000), "foto.jpg").status_code == 303


def test_names_cannot_be_guessed_and_never_collide(app, author, media_dir):
    for _ in range(3):
        assert upload(author, png_bytes(40, 30), "stessa.png").status_code == 303
    stems = [media.stem for media in stored_images(app)]
    assert len(set(stems)) == 3
    assert all(len(stem) == 22 for stem in stems)  # 128 random bits each
    assert not any("stessa" in name for name in files_in(media_dir))
    # Written whole, then linked into place: no temporary file is left.
    assert not [name for name in files_in(media_dir) if name.startswith(".")]


def test_the_shown_name_is_the_last_part_of_the_uploaders_name(app, author):
    upload(author, png_bytes(40, 30), "../../home/anna/Foto\x07 estate.png")
    assert only_image(app).original_name == "Foto estate.png"


def with_profile(kind: str, profile: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (30, 120, 200)).save(buffer, kind, icc_profile=profile)
    return buffer.getvalue()


SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (with_profile("JPEG", SRGB_PROFILE), "profilo.jpg"),
        (with_profile("PNG", SRGB_PROFILE), "profilo.png"),
        (with_profile("PNG", b"not a colour profile at all"), "rotto.png"),
    ],
)
def test_a_colour_profile_is_applied_then_dropped(app, author, media_dir, data, filename):
    with Image.open(io.BytesIO(data)) as source:
        assert "icc_profile" in source.info
    assert upload(author, data, filename).status_code == 303
    media = only_image(app)
    for name in media.file_names():
        with Image.open(media_dir / name) as stored:
            assert "icc_profile" not in stored.info, name
            assert stored.convert("RGB").getpixel((10, 10))[2] > 150, name
