"""Synthetic recordings made with PyAV, for the demo data and the tests: real files, real codecs.

"Speech" here is a voiced tone whose pitch drifts and whose loudness rises and falls four times a second,
like syllables: enough for loudness normalisation, waveforms and players to have something to show.
The WebM/Opus variant is muxed as a live stream, without a duration, as Chrome's MediaRecorder writes it.
"""

from __future__ import annotations

import array
import math
import os
from fractions import Fraction

import av
from PIL import Image, ImageDraw

RATE = 48_000

# name → (FFmpeg muxer, audio encoder, muxer options)
AUDIO_FORMATS = {
    "webm": ("webm", "libopus", {"live": "1"}),  # like MediaRecorder: no duration, no cues
    "m4a": ("mp4", "aac", {}),
    "mp3": ("mp3", "libmp3lame", {}),
    "wav": ("wav", "pcm_s16le", {}),
    "ogg": ("ogg", "libopus", {}),
}
VIDEO_FORMATS = {
    "webm": ("webm", "libvpx", "libopus", {"live": "1"}),
    "mp4": ("mp4", "libx264", "aac", {}),
}


def _samples(start: int, count: int, *, rate: int, amplitude: float, speech: bool) -> bytes:
    values = array.array("h")
    for n in range(start, start + count):
        t = n / rate
        if speech:
            pitch = 180 + 40 * math.sin(2 * math.pi * 0.3 * t)
            envelope = abs(math.sin(2 * math.pi * 4 * t)) ** 0.5
            value = envelope * (math.sin(2 * math.pi * pitch * t) + 0.4 * math.sin(4 * math.pi * pitch * t)) / 1.4
        else:
            value = math.sin(2 * math.pi * 440 * t)
        values.append(int(amplitude * 32767 * value))
    return values.tobytes()


def _write_audio(output, stream, *, seconds: float, rate: int, amplitude: float, speech: bool) -> None:
    """Encode mono s16 samples through a resampler into whatever format the encoder wants."""
    context = stream.codec_context
    frame_size = context.frame_size or 1024
    resampler = av.AudioResampler(format=context.format.name, layout=context.layout.name, rate=rate)
    total = int(seconds * rate)
    for start in range(0, total, frame_size):
        count = min(frame_size, total - start)
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(_samples(start, count, rate=rate, amplitude=amplitude, speech=speech))
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        for converted in resampler.resample(frame):
            output.mux(stream.encode(converted))
    for converted in resampler.resample(None):
        output.mux(stream.encode(converted))
    output.mux(stream.encode(None))


def audio_file(
    path: str | os.PathLike,
    *,
    fmt: str = "webm",
    seconds: float = 3.0,
    amplitude: float = 0.3,
    speech: bool = False,
    layout: str = "mono",
    rate: int | None = None,
) -> str:
    """Write a recording in one of AUDIO_FORMATS (mono unless ``layout`` says e.g. "5.1") and return its path."""
    muxer, codec, options = AUDIO_FORMATS[fmt]
    rate = rate or (44_100 if fmt == "mp3" else RATE)
    with av.open(os.fspath(path), "w", format=muxer, options=options) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout)
        _write_audio(output, stream, seconds=seconds, rate=rate, amplitude=amplitude, speech=speech)
    return os.fspath(path)


def _picture(index: int, size: tuple[int, int], caption: str) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, (11 + index % 60, 110, 79))
    draw = ImageDraw.Draw(image)
    x = (index * 6) % max(1, width - 60)
    draw.rectangle([x, height // 2 - 30, x + 60, height // 2 + 30], fill=(255, 214, 0))
    if caption:
        draw.text((16, 16), caption, fill=(255, 255, 255))
    return image


def video_file(
    path: str | os.PathLike,
    *,
    fmt: str = "webm",
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 240),
    fps: int = 15,
    caption: str = "",
    speech: bool = False,
    sound: bool = True,
) -> str:
    """Write a video (a moving square over a coloured background), with a sound track unless ``sound`` is
    False, and return its path."""
    muxer, video_codec, audio_codec, options = VIDEO_FORMATS[fmt]
    with av.open(os.fspath(path), "w", format=muxer, options=options) as output:
        video = output.add_stream(video_codec, rate=fps)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        if video_codec == "libvpx":  # the fastest VP8 settings, as a browser encoding live would use
            video.options = {"deadline": "realtime", "cpu-used": "8"}
        audio = output.add_stream(audio_codec, rate=RATE, layout="mono") if sound else None
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame.from_image(_picture(index, size, caption)).reformat(format="yuv420p")
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if audio is not None:
            _write_audio(output, audio, seconds=seconds, rate=RATE, amplitude=0.3, speech=speech)
    return os.fspath(path)
