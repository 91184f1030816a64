"""Hostile files against every upload point: polyglots (an image that is also a ZIP or a web page, an "audio"
that is a web page or an archive) and decompression bombs (a few bytes declaring 30000×30000 pixels, a 5 MB
workbook that unpacks to hundreds of MB).

Each one is either refused with a message in the user's language, or processed safely: re-encoded from its
pixels or samples, so that nothing of the payload is stored or served, and never as a web page. No 500.
"""

from __future__ import annotations

import html
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import EpsImagePlugin, Image

from contests.models import Organisation
from forums.models import Post
from quizzes.importing.excel import template_workbook
from quizzes.models import Question
from submissions import services as reading_services
from submissions.models import EntryVersion

PAYLOAD = b"<html><body><script>alert(1)</script></body></html>"
MARKERS = (b"<script", b"<html", b"PK\x03\x04", b"<svg", b"%!PS", b"javascript:")


# --- Hostile images ------------------------------------------------------------------------------------------


def real_image(fmt: str = "PNG", size=(48, 32), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=fmt, **save)
    return out.getvalue()


def zip_of(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, content)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG header claiming ``width``×``height`` with almost no pixel data: a few hundred bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen is ``width``×``height`` around a single 1×1 frame: 40 bytes."""
    return (
        b"GIF89a" + struct.pack("<HH", width, height) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
        b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b"
    )


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto 10 10 lineto stroke\nshowpage\n%%EOF\n"

IMAGE_ATTACKS = {
    "png+html+zip": (real_image() + PAYLOAD + zip_of("x.html", PAYLOAD), "photo.png"),
    "jpeg with an html comment": (real_image("JPEG", comment=PAYLOAD), "photo.jpg"),
    "html named png": (PAYLOAD, "photo.png"),
    "svg with script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg"),
    "zip named jpg": (zip_of("a.html", PAYLOAD), "photo.jpg"),
    "eps (ghostscript)": (EPS, "photo.eps"),
    "png declaring 30000x30000": (png_declaring(30000, 30000), "bomb.png"),
    "png declaring 12000x12000": (png_declaring(12000, 12000), "bomb.png"),
    "gif declaring 65535x65535": (gif_declaring(65535, 65535), "bomb.gif"),
}


def refusal_messages() -> list[str]:
    """Every way an image is refused, as the Vietnamese visitor reads it."""
    from django import forms
    from django.utils.translation import gettext as _

    with translation.override("vi"):
        return [
            str(forms.ImageField.default_error_messages["invalid_image"]),
            _("The file is not an image we can read (JPEG, PNG, WebP or GIF)."),
            _("The image is too large (at most 40 megapixels)."),
        ]


def assert_refused_or_clean(response, stored) -> None:
    assert response.status_code < 500
    if stored:
        stored.open("rb")
        data = stored.read()
        stored.close()
        assert data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n", "re-encoded as JPEG or PNG"
        assert not any(marker in data for marker in MARKERS), "nothing of the payload survives"
        with Image.open(io.BytesIO(data)) as image:
            assert image.width * image.height <= 1600 * 900
        assert Path(stored.name).suffix in (".jpg", ".png")
        return
    page = html.unescape(response.content.decode())
    assert any(message in page for message in refusal_messages()), "refused with a message the visitor can read"


@pytest.fixture(autouse=True)
def no_ghostscript(monkeypatch):
    """Ghostscript renders EPS for Pillow wherever it is installed: it must never be reached from an upload."""

    def refuse(*args, **kwargs):
        raise AssertionError("an uploaded file reached Ghostscript")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", refuse)


# --- Each image upload point -----------------------------------------------------------------------------------


def form_data(form) -> dict:
    """What a browser would post back for ``form`` as it is shown (its initial values)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    return data


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def question_image(client, organiser, bank, content, name):
    client.force_login(organiser)
    data = {
        "type": "single",
        "text": "Ảnh này là gì?",
        "difficulty": 2,
        "points": 1,
        "choices-TOTAL_FORMS": 2,
        "choices-INITIAL_FORMS": 0,
        "choices-0-text": "Một",
        "choices-0-is_correct": "on",
        "choices-1-text": "Hai",
        "image": upload(content, name),
    }
    response = client.post(reverse("organiser_question_create", args=[bank.pk]), data)
    question = Question.objects.filter(bank=bank, text="Ảnh này là gì?").first()
    return response, question.image if question else None


def forum_image(client, member, forum, content, name):
    client.force_login(member)
    data = {"title": "Ảnh của tôi", "body": "Xem ảnh", "image": upload(content, name)}
    response = client.post(reverse("forum_topic_create", args=[forum.slug]), data)
    post = Post.objects.filter(topic__event=forum, topic__title="Ảnh của tôi").first()
    return response, post.image if post else None


def event_banner(client, organiser, event, content, name):
    from contests.forms import EventForm

    client.force_login(organiser)
    data = {**form_data(EventForm(instance=event)), "banner": upload(content, name)}
    response = client.post(reverse("organiser_event_edit", args=[event.pk]), data)
    event.refresh_from_db()
    return response, event.banner or None


@pytest.mark.django_db
@pytest.mark.parametrize("attack", sorted(IMAGE_ATTACKS))
@pytest.mark.parametrize("point", ["question", "forum", "banner"])
def test_hostile_images_are_refused_or_re_encoded(client, point, attack, organiser, bank, forum, member, make_event):
    content, name = IMAGE_ATTACKS[attack]
    if point == "question":
        response, stored = question_image(client, organiser, bank, content, name)
    elif point == "forum":
        response, stored = forum_image(client, member, forum, content, name)
    else:
        response, stored = event_banner(client, organiser, make_event(), content, name)
    assert_refused_or_clean(response, stored)


@pytest.mark.django_db
def test_a_polyglot_image_is_served_as_an_image_never_as_a_page(client, fetch_media, organiser, bank, forum, member):
    content, name = IMAGE_ATTACKS["png+html+zip"]
    _response, stored = forum_image(client, member, forum, content, name)
    post = Post.objects.get(image=stored.name)
    url = reverse("forum_post_image", args=[post.pk])
    assert client.get(url)["X-Content-Type-Options"] == "nosniff"  # the app's answer (the bytes, or the redirect)
    served = fetch_media(url)  # on S3: the bucket's answer, its type signed into the URL
    assert served.status_code == 200
    assert served["Content-Type"] in ("image/jpeg", "image/png")
    assert not any(marker in served.body for marker in MARKERS)


# --- Recordings ----------------------------------------------------------------------------------------------


def media_attacks(media) -> dict[str, tuple[bytes, str]]:
    mp3 = media["mp3"].read_bytes()
    wav = media["wav"].read_bytes()
    # A WAV whose header claims four hours of sound around three seconds of it.
    long_claim = wav[:4] + struct.pack("<I", 0xFFFFFFF0) + wav[8:40] + struct.pack("<I", 0xFFFFFF00) + wav[44:]
    return {
        "html as mp3": (PAYLOAD * 50, "reading.mp3"),
        "zip as m4a": (zip_of("a.html", PAYLOAD * 50), "reading.m4a"),
        "svg as webm": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "r.webm"),
        "mp3 + html + zip": (mp3 + PAYLOAD + zip_of("x.html", PAYLOAD), "reading.mp3"),
        "wav claiming hours": (long_claim, "reading.wav"),
        "html then mp3": (PAYLOAD + mp3, "reading.mp3"),
    }


def _media_messages() -> list[str]:
    from submissions.media_probe import REASONS

    with translation.override("vi"):
        return [str(REASONS[code]).split("%")[0] for code in REASONS]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attack", ["html as mp3", "zip as m4a", "svg as webm", "mp3 + html + zip", "wav claiming hours", "html then mp3"]
)
def test_hostile_recordings_are_refused_or_transcoded(client, fetch_media, reading_round, reader, media, attack):
    content, name = media_attacks(media)[attack]
    client.force_login(reader)
    data = {"title": "Bài đọc", "source": "uploaded", "recording": SimpleUploadedFile(name, content, "audio/mpeg")}
    response = client.post(reverse("reading_entry_create", args=[reading_round.round_id]), data)
    assert response.status_code < 500
    version = EntryVersion.objects.filter(entry__user=reader).first()
    if version is None:
        page = html.unescape(response.content.decode())
        assert any(message in page for message in _media_messages()), "refused with a readable reason"
        return
    reading_services.version_process(version_id=version.pk)
    version.refresh_from_db()
    if version.state != EntryVersion.State.READY:
        assert version.state == EntryVersion.State.REJECTED and version.reason_code
        return
    version.media.open("rb")
    data = version.media.read()
    version.media.close()
    assert data[4:8] == b"ftyp" and not any(marker in data for marker in MARKERS), "transcoded from the samples"
    for part, expected in (("media", "audio/mp4"), ("original", "application/octet-stream")):
        url = reverse("reading_media", args=[version.pk, part])
        assert client.get(url)["X-Content-Type-Options"] == "nosniff"  # the bytes, or the redirect to them
        served = fetch_media(url, through=client)  # on S3: the bucket's answer, its headers signed into the URL
        assert served.status_code == 200 and served["Content-Type"] == expected
    assert served["Content-Disposition"].startswith("attachment"), "the original is downloaded, never shown"


@pytest.mark.django_db
def test_a_video_claiming_a_huge_picture_is_scaled_down(client, make_reading_round, reader, tmp_path):
    from submissions import synth

    reading_round = make_reading_round(media="both", max_size_mb=20)
    path = synth.video_file(tmp_path / "wide.mp4", fmt="mp4", seconds=1.5, size=(3840, 2160), fps=2)
    client.force_login(reader)
    recording = SimpleUploadedFile("wide.mp4", Path(path).read_bytes())
    data = {"title": "Video", "source": "uploaded", "recording": recording}
    response = client.post(reverse("reading_entry_create", args=[reading_round.round_id]), data)
    assert response.status_code < 500
    version = EntryVersion.objects.get(entry__user=reader)
    reading_services.version_process(version_id=version.pk)
    version.refresh_from_db()
    assert version.state == EntryVersion.State.READY
    assert min(version.width, version.height) <= 720


# --- Spreadsheets: zip bombs and damaged workbooks -------------------------------------------------------------


def workbook_bomb(unpacked_mb: int = 64) -> bytes:
    """A real workbook whose first sheet is padded with whitespace: a few hundred KB that unpack to
    ``unpacked_mb`` MB of XML, streamed into the archive so that the test itself stays light."""
    source = zipfile.ZipFile(io.BytesIO(template_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, content)
                continue
            head, tail = content.split(b"<sheetData>", 1)
            with archive.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<sheetData>")
                block = b" " * (1024 * 1024)
                for _ in range(unpacked_mb):
                    member.write(block)
                member.write(tail)
    return out.getvalue()


def damaged_workbook() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(template_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            archive.writestr(info.filename, content[: len(content) // 2] if "sheet1" in info.filename else content)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = workbook_bomb()
    assert len(data) < 5 * 1024 * 1024, "under the upload limit: only its unpacked size gives it away"
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["bomb", "damaged"])
def test_hostile_workbooks_are_refused_by_the_bank_import(client, organiser, bank, bomb, kind):
    content = bomb if kind == "bomb" else damaged_workbook()
    client.force_login(organiser)
    before = bank.questions.count()
    response = client.post(
        reverse("organiser_bank_import", args=[bank.pk]), {"file": SimpleUploadedFile("q.xlsx", content)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"], "refused next to the file field"
    assert bank.questions.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["bomb", "damaged"])
def test_hostile_workbooks_are_refused_by_the_roster_import(client, organiser, organisation, bomb, kind):
    content = bomb if kind == "bomb" else damaged_workbook()
    client.force_login(organiser)
    response = client.post(
        reverse("organiser_roster_import", args=[organisation.slug]), {"file": SimpleUploadedFile("r.xlsx", content)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Organisation.objects.get(pk=organisation.pk).units.exists()
