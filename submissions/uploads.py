"""Receiving a recording: streamed to a temporary file on disk, with the round's size cap enforced while it
streams, so that neither memory nor disk fills up with a file that would be refused anyway.

A view installs the handler *before* anything reads ``request.POST`` (CSRF included: such views are
``csrf_exempt`` outside and ``csrf_protect`` inside, as Django's documentation prescribes).
"""

from __future__ import annotations

from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

FILE_FIELD = "recording"
ENVELOPE = 64 * 1024  # multipart boundaries and the form's text fields around the file


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Every upload goes to a temporary file (never memory), and at most ``max_bytes`` of it.

    Past the cap the file is dropped and the rest of its bytes are discarded unread by anything; the
    other form fields are still parsed (the CSRF token among them), so the view can answer "too big"
    in the user's language instead of a broken connection. Only the ``recording`` field is accepted.
    """

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_big = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """A declared length far above the cap: refuse the file before reading a byte of it."""
        if content_length and content_length > self.max_bytes + ENVELOPE:
            self.too_big = True

    def new_file(self, field_name, *args, **kwargs):
        if self.too_big or field_name != FILE_FIELD:
            raise SkipFile
        super().new_file(field_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.too_big = True
            raise SkipFile  # Django closes (and so deletes) the temporary file and skips the rest of it
        return super().receive_data_chunk(raw_data, start)


def install_capped_handler(request, *, max_bytes: int) -> CappedUploadHandler:
    """Replace the request's upload handlers; call before the body is read."""
    handler = CappedUploadHandler(request, max_bytes=max_bytes)
    request.upload_handlers = [handler]
    return handler
