"""Turn an accepted recording into the one web-playable file of its kind, with PyAV (FFmpeg inside the wheel).

- audio → AAC in MP4 (``.m4a``), loudness-normalised;
- video → H.264 + AAC in MP4, at most 720 lines, plus a poster frame (JPEG, resized with Pillow).
Every audio track gets waveform peaks for the player.

Loudness: FFmpeg's ``loudnorm`` filter (EBU R128) in its one-pass dynamic mode, aiming at −16 LUFS
integrated with a −1.5 dBTP ceiling — the level podcast platforms use, so that a whisper recorded on a
phone and a shout on a laptop play back alike. One pass is slightly less exact than two but halves the
work; for read-aloud speech the difference is inaudible.

Pure: files in, files out, no database. Raises ``MediaRejected("undecodable")`` when the decoder fails
part-way (a damaged file that the probe's first frames did not reveal); any other exception is an
infrastructure problem that the job retries.

Sound with more than two channels (5.1, 7.1: up to the probe's ``max_channels``) is downmixed to stereo by
the audio chain's ``aformat``; the web file never has more than two.

``transcode_in_child`` runs ``transcode`` in a child Python process (``python -m
submissions.media_transcode``) under a time budget: a file that makes FFmpeg loop or crawl cannot hold a
worker longer than the budget, because the child is killed — a thread cannot be. The child also stops by
itself when its parent disappears (its stdin closes), so that a killed worker leaves no orphan transcoding.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av

from .media_probe import OPEN_OPTIONS, MediaRejected

AUDIO_RATE = 48_000
AUDIO_BITRATE = 128_000
AAC_FRAME = 1024
LOUDNORM = "I=-16:TP=-1.5:LRA=11"
MAX_LINES = 720
VIDEO_CRF = "23"
VIDEO_PRESET = "veryfast"
MAX_FPS = 30
POSTER_AT_S = 1.0  # the first second is often a hand leaving the record button
POSTER_SIZE = (1280, 720)
PEAKS = 160  # bars in the waveform: enough detail for a phone-wide player
VIDEO_TIME_BASE = Fraction(1, 90_000)
PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # where ``python -m submissions…`` finds the package
CHILD_POLL_S = 1.0  # how often the parent asks ``keep_going`` while the child works
CHILD_SELF_STOP_GRACE_S = 30  # the child's own deadline, past the parent's: a backstop, never the rule


@dataclass
class Transcoded:
    duration_s: float
    width: int = 0
    height: int = 0
    peaks: list[float] = field(default_factory=list)
    poster_png: bytes | None = None  # a lossless still; the caller makes it a small JPEG with Pillow


def even(value: float) -> int:
    """H.264 in 4:2:0 needs even dimensions."""
    return max(2, int(value) // 2 * 2)


def target_size(width: int, height: int, max_lines: int = MAX_LINES) -> tuple[int, int]:
    """Scale so that the shorter side is at most ``max_lines`` (portrait phone videos stay portrait)."""
    lines = min(width, height)
    if lines <= max_lines:
        return even(width), even(height)
    factor = max_lines / lines
    return even(round(width * factor)), even(round(height * factor))


def bucket_peaks(frame_peaks: list[float], buckets: int = PEAKS) -> list[float]:
    """Reduce per-frame peaks to ``buckets`` values in 0…1 (max of each slice), rounded for compact JSON."""
    if not frame_peaks:
        return []
    count = min(buckets, len(frame_peaks))
    size = len(frame_peaks) / count
    return [
        round(min(1.0, max(frame_peaks[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)])), 3)
        for i in range(count)
    ]


def _frame_peak(frame: av.AudioFrame) -> float:
    """Largest absolute sample of the first channel of a float-planar frame, without numpy."""
    samples = memoryview(bytes(frame.planes[0])).cast("f")[: frame.samples]
    if not len(samples):
        return 0.0
    return max(max(samples), -min(samples))


def _link(graph, nodes) -> None:
    for upstream, downstream in pairwise(nodes):
        upstream.link_to(downstream)
    graph.configure()


class _AudioChain:
    """Decoded frames → loudnorm → 48 kHz float planar in AAC-sized frames → AAC encoder → muxer."""

    def __init__(self, output, source_stream):
        channels = min(2, source_stream.codec_context.channels or 1)
        layout = "stereo" if channels == 2 else "mono"
        self.output = output
        self.stream = output.add_stream("aac", rate=AUDIO_RATE, layout=layout)
        self.stream.bit_rate = AUDIO_BITRATE
        self.graph = av.filter.Graph()
        nodes = [
            self.graph.add_abuffer(template=source_stream),
            self.graph.add("loudnorm", LOUDNORM),
            self.graph.add("aresample", str(AUDIO_RATE)),
            self.graph.add("aformat", f"sample_fmts=fltp:channel_layouts={layout}"),
            self.graph.add("asetnsamples", f"n={AAC_FRAME}:p=0"),
            self.graph.add("abuffersink"),
        ]
        _link(self.graph, nodes)
        self.samples = 0
        self.frame_peaks: list[float] = []

    def push(self, frame: av.AudioFrame | None) -> None:
        self.graph.push(frame)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                frame = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            self.frame_peaks.append(_frame_peak(frame))
            frame.pts = self.samples
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.samples += frame.samples
            self.output.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.push(None)
        self.output.mux(self.stream.encode(None))


def rotation_filters(ccw_degrees: int) -> list[tuple[str, str]]:
    """FFmpeg filters that turn a frame upright, given its display matrix angle (PyAV: counter-clockwise).

    Phones store portrait video sideways with a rotation tag; players and posters want it upright. The
    mapping is the one the ``ffmpeg`` command applies by default (its autorotate).
    """
    clockwise = (-int(ccw_degrees)) % 360
    return {
        90: [("transpose", "clock")],
        180: [("hflip", ""), ("vflip", "")],
        270: [("transpose", "cclock")],
    }.get(clockwise, [])


class _VideoChain:
    """Decoded frames → upright, ≤ 720 lines, yuv420p (one filter graph) → H.264 → muxer; keeps one poster."""

    def __init__(self, output, source_stream, *, rotation: int):
        context = source_stream.codec_context
        rotate = rotation_filters(rotation)
        turned = any(name == "transpose" for name, _args in rotate)
        width, height = (context.height, context.width) if turned else (context.width, context.height)
        self.width, self.height = target_size(width, height)
        self.graph = av.filter.Graph()
        nodes = [self.graph.add_buffer(template=source_stream)]
        nodes += [self.graph.add(name, args) for name, args in rotate]
        nodes += [
            self.graph.add("scale", f"{self.width}:{self.height}"),
            self.graph.add("format", "yuv420p"),
            self.graph.add("buffersink"),
        ]
        _link(self.graph, nodes)
        self.output = output
        rate = source_stream.average_rate or source_stream.guessed_rate or Fraction(25)
        self.stream = output.add_stream("libx264", rate=min(Fraction(rate), Fraction(MAX_FPS)))
        self.stream.width, self.stream.height = self.width, self.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = VIDEO_TIME_BASE
        self.stream.options = {"crf": VIDEO_CRF, "preset": VIDEO_PRESET}
        self.min_gap = round(1 / (MAX_FPS * VIDEO_TIME_BASE))
        self.last_pts: int | None = None
        self.start: float | None = None
        self.poster_png: bytes | None = None
        self.first_png: bytes | None = None

    def push(self, frame: av.VideoFrame) -> None:
        if frame.pts is None:
            return
        moment = float(frame.pts * frame.time_base)
        self.start = moment if self.start is None else self.start
        pts = round((moment - self.start) / VIDEO_TIME_BASE)
        if self.last_pts is not None and pts < self.last_pts + self.min_gap:
            return  # variable-rate recordings: drop frames closer together than the output rate
        self.last_pts = pts
        self.graph.push(frame)
        upright = self.graph.pull()
        if self.first_png is None:
            self.first_png = _png(upright)
        if self.poster_png is None and moment - self.start >= POSTER_AT_S:
            self.poster_png = _png(upright)
        upright.pts, upright.time_base = pts, VIDEO_TIME_BASE
        self.output.mux(self.stream.encode(upright))

    def close(self) -> None:
        self.output.mux(self.stream.encode(None))
        self.poster_png = self.poster_png or self.first_png


def first_frame_rotation(source: str, stream_index: int) -> int:
    """The display-matrix angle of the first decoded frame of a video stream (0 when untagged)."""
    with av.open(source, options=OPEN_OPTIONS) as container:
        for frame in container.decode(container.streams[stream_index]):
            return int(frame.rotation or 0)
    return 0


def _png(frame: av.VideoFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_image().save(buffer, format="PNG")
    return buffer.getvalue()


def transcode(source: str | os.PathLike, target: str | os.PathLike, *, kind: str) -> Transcoded:
    """Write the web version of ``source`` to ``target`` (MP4) and return what the player needs."""
    try:
        return _transcode(os.fspath(source), os.fspath(target), kind=kind)
    except av.FFmpegError as exc:
        if isinstance(exc, av.error.EncoderNotFoundError | av.error.FilterNotFoundError):
            raise  # our installation is broken, not the participant's file
        raise MediaRejected("undecodable") from exc


def _transcode(source: str, target: str, *, kind: str) -> Transcoded:
    with (
        av.open(source, options=OPEN_OPTIONS) as container,
        av.open(target, "w", format="mp4", options={"movflags": "+faststart"}) as output,
    ):
        audio_in = container.streams.audio[0]
        video_in = _first_video(container) if kind == "video" else None
        video = None
        if video_in is not None:
            video = _VideoChain(output, video_in, rotation=first_frame_rotation(source, video_in.index))
        audio = _AudioChain(output, audio_in)
        for packet in container.demux(*[s for s in (audio_in, video_in) if s is not None]):
            for frame in packet.decode():
                if packet.stream is audio_in:
                    audio.push(frame)
                elif video is not None:
                    video.push(frame)
        audio.close()
        if video is not None:
            video.close()
    result = Transcoded(duration_s=round(audio.samples / AUDIO_RATE, 3), peaks=bucket_peaks(audio.frame_peaks))
    if video is not None:
        result.width, result.height, result.poster_png = video.width, video.height, video.poster_png
    return result


def _first_video(container):
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


# --- The same, in a child process under a time budget -----------------------------------------------


class TranscodeTimeout(Exception):
    """The transcode ran past its time budget; the child was killed and nothing was produced."""

    def __init__(self, budget_s: float):
        super().__init__(f"processing took longer than its budget of {budget_s:g} s and was stopped")
        self.budget_s = budget_s


class TranscodeAbandoned(Exception):
    """The caller asked to stop (``keep_going`` answered False): the child was killed, nothing was produced."""


class TranscoderCrashed(Exception):
    """The child exited without a result (a bug, no memory left, killed from outside): worth a retry."""


def time_budget_s(duration_s: float, *, factor: float, base_s: float) -> float:
    """Seconds a transcode of a ``duration_s`` recording may take: proportional to the duration, plus a
    constant for starting up and writing the outputs (3 × duration + 60 s by default)."""
    return max(0.0, factor * duration_s + base_s)


def transcode_in_child(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    kind: str,
    budget_s: float,
    keep_going: Callable[[], bool] | None = None,
    poll_s: float = CHILD_POLL_S,
) -> Transcoded:
    """``transcode`` in a child process, killed after ``budget_s`` seconds (TranscodeTimeout) or as soon as
    ``keep_going()`` answers False (TranscodeAbandoned); MediaRejected as ``transcode`` raises it."""
    source, target = os.path.abspath(source), os.path.abspath(target)
    result_path = target + ".result.json"
    command = [sys.executable, "-m", __name__, source, target, kind, result_path, str(budget_s)]
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(  # noqa: S603 -- our interpreter and module, paths we made; no shell
            command, cwd=PACKAGE_PARENT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            _wait(child, budget_s=budget_s, keep_going=keep_going, poll_s=poll_s)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdin.close()
        if child.returncode != 0:
            errors.seek(0)
            tail = errors.read()[-1500:].decode("utf-8", "replace")
            raise TranscoderCrashed(f"the transcoder exited with status {child.returncode}: {tail}")
    return _read_result(result_path)


def _wait(child: subprocess.Popen, *, budget_s: float, keep_going, poll_s: float) -> None:
    deadline = time.monotonic() + budget_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TranscodeTimeout(budget_s)
        try:
            child.wait(timeout=min(poll_s, remaining))
            return
        except subprocess.TimeoutExpired:
            if keep_going is not None and not keep_going():
                raise TranscodeAbandoned("the caller no longer holds the job") from None


def _read_result(result_path: str) -> Transcoded:
    with open(result_path, encoding="utf-8") as handle:
        payload = json.load(handle)
    if "rejected" in payload:
        raise MediaRejected(payload["rejected"], **payload["params"])
    poster = payload.pop("poster_path", None)
    result = Transcoded(**payload)
    if poster:
        result.poster_png = Path(poster).read_bytes()
    return result


def _stop_with_parent(budget_s: float) -> None:
    """Exit when the parent goes away (stdin reaches its end) or long past the budget, whichever first."""

    def watch_stdin():
        while os.read(0, 4096):  # the raw descriptor: a buffered stdin would block the interpreter's exit
            pass
        os._exit(75)

    threading.Thread(target=watch_stdin, name="parent-watch", daemon=True).start()
    timer = threading.Timer(budget_s + CHILD_SELF_STOP_GRACE_S, os._exit, args=(75,))
    timer.daemon = True
    timer.start()


def _child_main(argv: list[str]) -> int:
    source, target, kind, result_path, budget_s = argv
    _stop_with_parent(float(budget_s))
    try:
        result = transcode(source, target, kind=kind)
    except MediaRejected as exc:
        payload = {"rejected": exc.code, "params": exc.params}
    else:
        payload = asdict(result)
        poster = payload.pop("poster_png")
        if poster:
            payload["poster_path"] = target + ".poster.png"
            Path(payload["poster_path"]).write_bytes(poster)
    partial = result_path + ".part"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(partial, result_path)  # the parent never reads half a result
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
