"""A zip of stored files, written as it is sent: no temporary archive, memory bounded by one chunk.

Recordings are already compressed, so members are stored, not deflated (faster, same size). Sizes go in
data descriptors after each member, which lets the zip be produced on a stream that cannot seek.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

CHUNK = 256 * 1024


class _Pipe:
    """A write-only, unseekable file whose bytes are taken out after each write."""

    def __init__(self):
        self.buffer = bytearray()
        self.offset = 0

    def write(self, data) -> int:
        self.buffer += data
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data, self.buffer = bytes(self.buffer), bytearray()
        return data


def zip_stream(members: Iterable[tuple[str, object]]) -> Iterator[bytes]:
    """Yield a zip archive of ``(name in the archive, Django FieldFile)`` pairs, chunk by chunk."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for arcname, field_file in members:
            with (
                field_file.storage.open(field_file.name, "rb") as source,
                archive.open(arcname, mode="w", force_zip64=True) as target,
            ):
                while data := source.read(CHUNK):
                    target.write(data)
                    yield pipe.take()
            yield pipe.take()
    yield pipe.take()
