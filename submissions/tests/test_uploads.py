"""The capped upload handler: the cap holds while bytes stream in, whatever the request declares."""

import io

import pytest
from django.core.files.uploadhandler import SkipFile
from django.http.multipartparser import MultiPartParser

from submissions.uploads import ENVELOPE, CappedUploadHandler

BOUNDARY = "----reading-test"


def _multipart(file_bytes: bytes, *, field="recording", extra=None) -> bytes:
    parts = []
    for name, value in (extra or {"title": "Bài đọc"}).items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="a.webm"\r\n'
        "Content-Type: audio/webm\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def _parse(body: bytes, handler: CappedUploadHandler, *, declared_length: int | None = None):
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(declared_length if declared_length is not None else len(body)),
    }
    return MultiPartParser(meta, io.BytesIO(body), [handler], "utf-8").parse()


def test_a_file_under_the_cap_goes_to_a_temporary_file():
    handler = CappedUploadHandler(max_bytes=1000)
    post, files = _parse(_multipart(b"x" * 800), handler)
    upload = files["recording"]
    assert not handler.too_big and upload.size == 800
    assert upload.temporary_file_path(), "on disk even when small: PyAV opens a path"
    assert post["title"] == "Bài đọc"


def test_the_cap_is_counted_on_streamed_bytes_not_on_the_declared_length():
    """A client that understates Content-Length (or chunked ASGI bodies) still meets the cap."""
    handler = CappedUploadHandler(max_bytes=100_000)
    handler.chunk_size = 16 * 1024
    body = _multipart(b"x" * 300_000, extra={"csrfmiddlewaretoken": "token", "title": "t"})
    post, files = _parse(body, handler, declared_length=len(body))
    assert handler.too_big and "recording" not in files
    assert post["csrfmiddlewaretoken"] == "token", "the other fields are still read"


def test_the_file_is_dropped_at_the_chunk_that_crosses_the_cap():
    handler = CappedUploadHandler(max_bytes=10)
    handler.new_file("recording", "a.webm", "audio/webm", None)
    assert handler.receive_data_chunk(b"12345", 0) is None  # written to the temporary file
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"123456", 5)
    assert handler.too_big


def test_a_declared_length_far_above_the_cap_skips_the_file_at_once():
    handler = CappedUploadHandler(max_bytes=1000)
    handler.handle_raw_input(None, {}, 1000 + ENVELOPE + 1, BOUNDARY)
    with pytest.raises(SkipFile):
        handler.new_file("recording", "a.webm", "audio/webm", None)


def test_only_the_recording_field_is_accepted():
    handler = CappedUploadHandler(max_bytes=1000)
    _post, files = _parse(_multipart(b"abc", field="avatar"), handler)
    assert "avatar" not in files and not handler.too_big
