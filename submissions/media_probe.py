"""What a media file really is, read from its content with PyAV, never from its name or declared type.

Pure rules over a file on disk: no database, no Django storage. ``probe`` says what the file is (or
raises ``MediaRejected``), ``check_rules`` says whether a round accepts it. Both raise the same
exception, whose ``code`` and ``params`` are stored on the entry version so that the reason can be shown
later in the language of whoever reads it.

``probe`` also enforces ``MediaLimits``, the most a file may hold (picture size, frame rate, channels,
sample rate, duration, packet count): a file crafted to cost an hour of transcoding — 8K frames, 1000
frames a second, a header declaring millions of frames — is refused from its headers or while its packets
are counted, before a worker spends anything on it.
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
FPS_GRACE = 2  # measured from timestamps rounded to the millisecond (WebM): 60 fps may read as 60.4
LONG_SIDE_RATIO = 2  # the longer side may be twice the shorter side's limit (2160 lines → 4320 wide)
# Real audio codecs send 40–400 packets a second (AAC, MP3, Opus, Vorbis, PCM in WAV); a file with far
# more is a flood of empty packets meant to keep the probe and the worker busy.
AUDIO_PACKETS_PER_S = 1000

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
    "too_many_lines": _("The video is %(lines)s lines high; the limit is %(limit)s."),
    "too_wide": _("The video picture is %(width)s×%(height)s pixels; its longer side may be at most %(limit)s."),
    "too_many_fps": _("The video has %(fps)s frames per second; the limit is %(limit)s."),
    "too_many_channels": _("The sound has %(channels)s channels; the limit is %(limit)s."),
    "sample_rate_too_high": _("The sound is sampled at %(rate)s kHz; the limit is %(limit)s kHz."),
    "implausible": _(
        "The file holds or declares %(frames)s frames, more than a recording within the limits can have: "
        "it is damaged or not a real recording."
    ),
    "processing_timeout": _(
        "Processing this recording took longer than %(limit)s and was stopped. "
        "Please send it again, shorter or at a lower resolution."
    ),
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
        if code in ("too_short", "too_long", "processing_timeout") and key in values:
            values[key] = format_duration(values[key])
    for key in ("rate", "limit"):
        if code == "sample_rate_too_high" and key in values:
            values[key] = f"{values[key] / 1000:g}"  # 192000 → "192", 44100 → "44.1"
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
    fps: float = 0.0  # measured from the video packets' timestamps, not the header's claim
    channels: int = 0
    sample_rate: int = 0

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


@dataclass(frozen=True)
class MediaLimits:
    """The most a file may hold: the platform's maxima (settings ``MEDIA_MAX_*``) and the round's longest
    duration. A round can be stricter on duration only; the rest protects the workers.

    More than two channels are accepted up to ``max_channels``: the transcode downmixes to stereo (a phone
    recording "surround" sound is not an attack); a file with dozens of channels is.
    """

    max_duration_s: float = 4 * 3600
    max_lines: int = 2160
    max_fps: int = 60
    max_channels: int = 8
    max_sample_rate: int = 96_000

    @property
    def max_long_side(self) -> int:
        return self.max_lines * LONG_SIDE_RATIO

    def max_packets(self, per_second: float) -> int:
        """The most packets a stream sending ``per_second`` can hold within the longest allowed duration."""
        return int(per_second * (self.max_duration_s + MAX_DURATION_GRACE_S)) + 10

    @property
    def max_video_packets(self) -> int:
        return self.max_packets(self.max_fps + FPS_GRACE)

    @property
    def max_audio_packets(self) -> int:
        return self.max_packets(AUDIO_PACKETS_PER_S)


def _real_video_stream(container):
    """The first video stream that is moving pictures, not an MP3's cover art."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


@dataclass
class _Reading:
    """What reading the packets found: the span they cover, frames decoded, the video's packet count and span."""

    span: float = 0.0
    decoded: int = 0
    video_packets: int = 0
    video_first: float | None = None
    video_last: float = 0.0

    @property
    def fps(self) -> float:
        """Frames per second from the timestamps (first to last frame start), exact for constant rates."""
        if self.video_packets < 2 or self.video_first is None or self.video_last <= self.video_first:
            return 0.0
        return (self.video_packets - 1) / (self.video_last - self.video_first)


def _check_streams(audio, video, limits: MediaLimits) -> None:
    """Refuse from the headers alone what is over the limits, before reading a single packet."""
    context = audio.codec_context
    if (context.channels or 0) > limits.max_channels:
        raise MediaRejected("too_many_channels", channels=context.channels, limit=limits.max_channels)
    if (context.sample_rate or 0) > limits.max_sample_rate:
        raise MediaRejected("sample_rate_too_high", rate=context.sample_rate, limit=limits.max_sample_rate)
    declared = [(audio, limits.max_audio_packets)]
    if video is not None:
        width, height = video.codec_context.width, video.codec_context.height
        if min(width, height) > limits.max_lines:
            raise MediaRejected("too_many_lines", lines=min(width, height), limit=limits.max_lines)
        if max(width, height) > limits.max_long_side:
            raise MediaRejected("too_wide", width=width, height=height, limit=limits.max_long_side)
        declared.append((video, limits.max_video_packets))
    for stream, cap in declared:
        if (stream.frames or 0) > cap:  # MP4 declares its frame count; an absurd one is a crafted file
            raise MediaRejected("implausible", frames=stream.frames)


def _read_packets(container, audio, video, limits: MediaLimits) -> _Reading:
    """Read every packet and decode the first few audio frames.

    Demuxing without decoding is fast, and the packets tell the duration even when the container has
    none (Chrome's WebM recordings). A decoder error on the first frames means the data is not what it
    claims to be; the job decodes everything later. Reading stops as soon as the packets go past the
    longest allowed duration or their number past what such a duration can hold, so that a file of ten
    hours of tiny frames costs no more than one within the limits.
    """
    reading, start = _Reading(), None
    end, audio_packets = 0.0, 0
    for packet in container.demux(*[s for s in (audio, video) if s is not None]):
        if packet.pts is None or packet.time_base is None:
            continue
        begin = float(packet.pts * packet.time_base)
        start = begin if start is None else min(start, begin)
        end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
        if packet.stream is video:
            reading.video_packets += 1
            first = reading.video_first
            reading.video_first = begin if first is None else min(first, begin)
            reading.video_last = max(reading.video_last, begin)
            if reading.video_packets > limits.max_video_packets:
                raise MediaRejected("implausible", frames=reading.video_packets)
        else:
            audio_packets += 1
            if audio_packets > limits.max_audio_packets:
                raise MediaRejected("implausible", frames=audio_packets)
        if end - start > limits.max_duration_s + MAX_DURATION_GRACE_S:
            raise MediaRejected("too_long", duration=end - start, limit=limits.max_duration_s)
        if packet.stream is audio and reading.decoded < DECODE_CHECK_FRAMES:
            try:
                reading.decoded += len(packet.decode())
            except av.FFmpegError as exc:
                raise MediaRejected("undecodable") from exc
    reading.span = end - start if start is not None else 0.0
    return reading


def probe(path: str | os.PathLike, *, limits: MediaLimits | None = None) -> MediaInfo:
    """Open ``path`` with the allowed demuxers only and describe it; raise MediaRejected when it is no recording
    or holds more than ``limits`` (the platform's defaults when None)."""
    limits = limits or MediaLimits()
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
            _check_streams(audio, video, limits)
            described = {
                "container": container.format.name,
                "audio_codec": audio.codec_context.name,
                "channels": audio.codec_context.channels or 0,
                "sample_rate": audio.codec_context.sample_rate or 0,
            }
            if video is not None:
                described.update(
                    video_codec=video.codec_context.name,
                    width=video.codec_context.width,
                    height=video.codec_context.height,
                )
            declared = container.duration / av.time_base if container.duration else None
            reading = _read_packets(container, audio, video, limits)
    except MediaRejected:
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise MediaRejected("not_media") from exc
    span = reading.span
    if span <= 0 or reading.decoded == 0:
        raise MediaRejected("undecodable")
    if declared and span < declared * TRUNCATED_RATIO - 1:
        raise MediaRejected("truncated")
    if reading.fps > limits.max_fps + FPS_GRACE:
        raise MediaRejected("too_many_fps", fps=round(reading.fps), limit=limits.max_fps)
    return MediaInfo(
        kind="video" if video is not None else "audio",
        duration_s=round(span, 3),
        size_bytes=size,
        duration_from_packets=declared is None,
        fps=round(reading.fps, 2),
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
