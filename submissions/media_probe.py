"""What a media file really is, read from its content with PyAV, never from its name or declared type.

Pure rules over a file on disk: no database, no Django storage. ``probe`` says what the file is (or
raises ``MediaRejected``), ``check_rules`` says whether a round accepts it. Both raise the same
exception, whose ``code`` and ``params`` are stored on the entry version so that the reason can be shown
later in the language of whoever reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# FFmpeg opens anything it can recognise: playlists that fetch other files (HLS, concat), images, raw
# text. Only these demuxers and the local-file protocol may run on a participant's upload.
DEMUXERS = "matroska,webm,mov,mp4,m4a,3gp,3g2,mj2,mp3,wav,ogg,flac,aac"
OPEN_OPTIONS = {"format_whitelist": DEMUXERS, "protocol_whitelist": "file"}
EXTENSIONS = {"matroska,webm": "webm", "mov,mp4,m4a,3gp,3g2,mj2": "mp4", "mp3": "mp3", "wav": "wav", "ogg": "ogg"}
DECODE_CHECK_FRAMES = 8  # a few frames prove that the decoder understands the stream; the job decodes all
TRUNCATED_RATIO = 0.9  # packets covering less than this share of the declared duration: the file was cut off
MAX_DURATION_GRACE_S = 2  # a recorder stopped by its timer overshoots by a frame or two

REASONS = {
    "empty": _("The file is empty."),
    "not_media": _("This file is not an audio or video recording we can read (MP3, M4A, WAV, OGG, WebM or MP4)."),
    "no_audio": _("The file has no sound track."),
    "undecodable": _("The recording is damaged or uses a format we cannot decode."),
    "truncated": _("The file is incomplete: it seems to have been cut off during copying or sending."),
    "too_short": _("The recording lasts %(duration)s; this round needs at least %(limit)s."),
    "too_long": _("The recording lasts %(duration)s; this round accepts at most %(limit)s."),
    "too_big": _("The file is larger than the %(limit)s MB allowed."),
    "video_not_allowed": _("This round accepts audio recordings only."),
    "audio_not_allowed": _("This round accepts video recordings only."),
    "low_resolution": _("The video is %(lines)sp; this round needs at least %(limit)sp."),
    "processing_failed": _("We could not process this recording after several tries. Please send it again."),
}


class MediaRejected(Exception):
    """The file cannot be an entry; ``code`` is a key of ``REASONS`` and ``params`` fill its placeholders."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return reason_text(self.code, self.params)


def reason_text(code: str, params: dict | None = None) -> str:
    """The reason in the active language (call it while rendering, not when storing)."""
    template = REASONS.get(code, REASONS["not_media"])
    values = dict(params or {})
    for key in ("duration", "limit"):
        if code in ("too_short", "too_long") and key in values:
            values[key] = format_duration(values[key])
    return str(template) % values if values else str(template)


def format_duration(seconds: float) -> str:
    """ "4 min 05 s" style figure for messages; whole seconds, rounded down like a stopwatch."""
    total = int(seconds)
    minutes, secs = divmod(total, 60)
    if minutes:
        return ngettext("%(m)d min %(s)02d s", "%(m)d min %(s)02d s", minutes) % {"m": minutes, "s": secs}
    return ngettext("%(s)d second", "%(s)d seconds", secs) % {"s": secs}


@dataclass(frozen=True)
class MediaInfo:
    container: str  # FFmpeg's demuxer name, e.g. "matroska,webm"
    kind: str  # "audio" or "video"
    duration_s: float
    audio_codec: str
    size_bytes: int
    video_codec: str = ""
    width: int = 0
    height: int = 0
    duration_from_packets: bool = False  # the container declared none (Chrome's MediaRecorder WebM)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.container, self.container.split(",")[0])

    @property
    def lines(self) -> int:
        """The shorter side: 720 for 1280×720 and for a portrait 720×1280 phone video alike."""
        return min(self.width, self.height)


@dataclass(frozen=True)
class MediaRules:
    """What a round accepts (built from ``ReadingRound.media_rules``)."""

    allow_audio: bool
    allow_video: bool
    min_duration_s: int
    max_duration_s: int
    max_bytes: int
    min_video_lines: int = 0


def _real_video_stream(container):
    """The first video stream that is moving pictures, not an MP3's cover art."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _read_packets(container, audio, video) -> tuple[float, int]:
    """Read every packet and decode the first few audio frames; return (covered seconds, frames decoded).

    Demuxing without decoding is fast, and the packets tell the duration even when the container has
    none (Chrome's WebM recordings). A decoder error on the first frames means the data is not what it
    claims to be; the job decodes everything later.
    """
    start: float | None = None
    end, decoded = 0.0, 0
    for packet in container.demux(*[s for s in (audio, video) if s is not None]):
        if packet.pts is None or packet.time_base is None:
            continue
        begin = float(packet.pts * packet.time_base)
        start = begin if start is None else min(start, begin)
        end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        if packet.stream is audio and decoded < DECODE_CHECK_FRAMES:
            try:
                decoded += len(packet.decode())
            except av.FFmpegError as exc:
                raise MediaRejected("undecodable") from exc
    return (end - start if start is not None else 0.0), decoded


def probe(path: str | os.PathLike) -> MediaInfo:
    """Open ``path`` with the allowed demuxers only and describe it; raise MediaRejected when it is no recording."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected("empty")
    try:
        with av.open(path, options=OPEN_OPTIONS) as container:
            audio = container.streams.audio[0] if container.streams.audio else None
            video = _real_video_stream(container)
            if audio is None and video is None:
                raise MediaRejected("not_media")
            if audio is None:
                raise MediaRejected("no_audio")
            described = {
                "container": container.format.name,
                "audio_codec": audio.codec_context.name,
            }
            if video is not None:
                described.update(
                    video_codec=video.codec_context.name,
                    width=video.codec_context.width,
                    height=video.codec_context.height,
                )
            declared = container.duration / av.time_base if container.duration else None
            span, decoded = _read_packets(container, audio, video)
    except MediaRejected:
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise MediaRejected("not_media") from exc
    if span <= 0 or decoded == 0:
        raise MediaRejected("undecodable")
    if declared and span < declared * TRUNCATED_RATIO - 1:
        raise MediaRejected("truncated")
    return MediaInfo(
        kind="video" if video is not None else "audio",
        duration_s=round(span, 3),
        size_bytes=size,
        duration_from_packets=declared is None,
        **described,
    )


def check_rules(info: MediaInfo, rules: MediaRules) -> None:
    """Raise MediaRejected when the round does not accept this recording (kind, length, size, resolution)."""
    if info.size_bytes > rules.max_bytes:
        raise MediaRejected("too_big", limit=rules.max_bytes // (1024 * 1024))
    if info.kind == "video" and not rules.allow_video:
        raise MediaRejected("video_not_allowed")
    if info.kind == "audio" and not rules.allow_audio:
        raise MediaRejected("audio_not_allowed")
    if info.duration_s < rules.min_duration_s:
        raise MediaRejected("too_short", duration=info.duration_s, limit=rules.min_duration_s)
    if info.duration_s > rules.max_duration_s + MAX_DURATION_GRACE_S:
        raise MediaRejected("too_long", duration=info.duration_s, limit=rules.max_duration_s)
    if info.kind == "video" and rules.min_video_lines and info.lines < rules.min_video_lines:
        raise MediaRejected("low_resolution", lines=info.lines, limit=rules.min_video_lines)
