"""What a browser gets for a stored file, on the disk or in the bucket (``make test-s3``): the type the app
names, never a sniffed one, and anything that is not a picture, a sound or a video as a download.

Object storage cannot send ``X-Content-Type-Options: nosniff`` per object, so a bucket's answer relies on
the headers signed into its URL: the content type always, and ``attachment`` for every type a browser
could run (HTML, SVG, PDF, anything unknown)."""

from __future__ import annotations

import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.utils.crypto import get_random_string

from contest_site.serving import media_response

PAGE = b"<!doctype html><script>alert(document.cookie)</script>"


def _served(name: str, content_type: str = "") -> dict[str, str]:
    """The headers the browser ends with: the app's own answer, or the bucket's at the signed URL."""
    stored = default_storage.save(f"tests/{get_random_string(12)}/{name}", ContentFile(PAGE))
    try:
        field_file = SimpleNamespace(name=stored, storage=default_storage)
        response = media_response(RequestFactory().get("/media"), field_file, content_type=content_type)
        assert response["X-Content-Type-Options"] == "nosniff"
        if response.status_code != 302:
            return {k.lower(): v for k, v in response.items()}
        try:
            with urllib.request.urlopen(response["Location"], timeout=30) as answer:  # noqa: S310 -- the test's S3
                return {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as answer:  # pragma: no cover - shown if the bucket refuses
            raise AssertionError(answer.read()) from answer
    finally:
        default_storage.delete(stored)


@pytest.mark.parametrize(
    ("name", "content_type", "expected_type"),
    [
        ("page.html", "", "text/html"),
        ("drawing.svg", "", "image/svg+xml"),
        ("notes.pdf", "", "application/pdf"),
        ("unknown.nope", "", "application/octet-stream"),
        ("photo.png", "text/html", "text/html"),  # a caller's type is kept, and downloaded if not media
    ],
)
def test_anything_but_pictures_sound_and_video_is_a_download_of_the_named_type(name, content_type, expected_type):
    headers = _served(name, content_type)
    assert headers["content-type"].split(";")[0] == expected_type
    assert headers.get("content-disposition", "").startswith("attachment"), "never shown in the site's origin"


@pytest.mark.parametrize(
    ("name", "content_type", "expected_type"),
    [("photo.png", "", "image/png"), ("photo.webp", "", "image/webp"), ("clip.m4a", "audio/mp4", "audio/mp4")],
)
def test_pictures_sound_and_video_are_shown_with_their_type(name, content_type, expected_type):
    headers = _served(name, content_type)
    assert headers["content-type"] == expected_type
    assert not headers.get("content-disposition", "").startswith("attachment")
