"""What the app needs from a media storage beyond Django's API: is it this host's disk, a local file to
hand to a decoder, a signed URL for a browser.

Media live either on the local disk (``FileSystemStorage``, the embedded default) or in an S3-compatible
bucket (``storages.backends.s3.S3Storage`` when ``MEDIA_S3_BUCKET`` is set, docs/deployment.md). Every
read and write goes through the storage API; the three places that cannot — PyAV opens a path, nginx
serves a path, a browser needs a URL — ask this module, so that no other code tests which storage it is.
"""

from __future__ import annotations

import contextlib
import mimetypes
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings

COPY_CHUNK = 1 << 20


def is_local(storage) -> bool:
    """True when the storage keeps files on this host's disk (it can name a path), False for object storage."""
    try:
        storage.path("")
    except NotImplementedError:  # django-storages' backends have no local path
        return False
    return True


@contextlib.contextmanager
def local_copy(storage, name: str) -> Iterator[str]:
    """A local path of the stored file ``name`` for the duration of the block.

    On disk storage, the file itself (no copy: a recording may be hundreds of MB). On object storage, a
    temporary copy downloaded in 1 MB chunks (never the whole file in memory), deleted when the block ends
    whatever happens in it. The suffix is kept so that tools that look at it see the same name."""
    if is_local(storage):
        yield storage.path(name)
        return
    with tempfile.NamedTemporaryFile(suffix=PurePosixPath(name).suffix, prefix="media-") as copy:
        with storage.open(name, "rb") as source:
            shutil.copyfileobj(source, copy, COPY_CHUNK)
        copy.flush()
        yield copy.name


# What a browser may show in the page: pictures (never SVG, which can carry scripts), sound and video. Any
# other type is sent as a download, so that nothing a user uploaded ever runs in the site's origin.
SHOWN_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"})


def content_disposition(*, content_type: str, filename: str, name: str) -> str:
    """The ``Content-Disposition`` to send with a stored file: a download named ``filename`` when one is
    given, a download named after the stored file for anything that is not a picture, a sound or a video,
    and "" (shown in the page) otherwise."""
    main = content_type.split(";")[0].strip().lower()
    if not filename and (main in SHOWN_IMAGES or main.startswith(("audio/", "video/"))):
        return ""
    return f"attachment; filename*=UTF-8''{quote(filename or PurePosixPath(name).name)}"


def signed_url(field_file, *, content_type: str = "", filename: str = "", cache_control: str = "") -> str:
    """A short-lived URL (``MEDIA_S3_URL_EXPIRY_S``) at which the bucket itself serves the file, ranges included.

    Only for object storage, and only after the caller's permission check: whoever holds the URL can read
    the file until it expires. The response headers the app would have sent (type, download name, cache)
    are signed into the URL, so the bucket sends them. A bucket cannot send ``X-Content-Type-Options:
    nosniff``, so every URL pins the type the app names (never the object's stored metadata, never a
    browser's sniffing) and, for anything but pictures, sound and video, ``attachment``."""
    content_type = content_type or _guess_type(field_file.name)
    parameters = {"ResponseContentType": content_type}
    disposition = content_disposition(content_type=content_type, filename=filename, name=field_file.name)
    if disposition:
        parameters["ResponseContentDisposition"] = disposition
    if cache_control:
        parameters["ResponseCacheControl"] = cache_control
    return field_file.storage.url(field_file.name, parameters=parameters, expire=settings.MEDIA_S3_URL_EXPIRY_S)


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
