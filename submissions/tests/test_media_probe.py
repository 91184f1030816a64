"""``media_probe``: what a file really is, from its content, and whether a round accepts it (no database)."""

import re
from fractions import Fraction
from pathlib import Path

import av
import pytest
from django.utils import translation

from submissions import synth
from submissions.media_probe import MediaInfo, MediaLimits, MediaRejected, MediaRules, check_rules, probe, reason_text

ACCEPTED = [
    ("webm", "matroska,webm", "opus", "audio"),
    ("m4a", "mov,mp4,m4a,3gp,3g2,mj2", "aac", "audio"),
    ("mp3", "mp3", "mp3float", "audio"),
    ("wav", "wav", "pcm_s16le", "audio"),
    ("ogg", "ogg", "opus", "audio"),
    ("video_webm", "matroska,webm", "opus", "video"),
    ("video_mp4", "mov,mp4,m4a,3gp,3g2,mj2", "aac", "video"),
]


@pytest.mark.parametrize(("sample", "container", "codec", "kind"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_real_recordings_are_described_by_their_content(media, sample, container, codec, kind):
    info = probe(media[sample])
    assert (info.container, info.audio_codec, info.kind) == (container, codec, kind)
    expected = 2 if kind == "video" else 3
    assert info.duration_s == pytest.approx(expected, abs=0.1)
    assert info.size_bytes == media[sample].stat().st_size


def test_webm_without_a_duration_gets_it_from_its_packets(media):
    """Chrome's MediaRecorder writes WebM as a live stream: the container declares no duration."""
    import av

    with av.open(str(media["webm"])) as container:
        assert container.duration is None
    info = probe(media["webm"])
    assert info.duration_from_packets is True
    assert info.duration_s == pytest.approx(3.0, abs=0.05)


def test_video_dimensions_and_lines(media):
    info = probe(media["video_mp4"])
    assert (info.video_codec, info.width, info.height, info.lines) == ("h264", 320, 240, 240)


FAKES = [
    ("text", "not_media"),  # a text file renamed .mp3
    ("png", "not_media"),  # a PNG with an .mp4 name: FFmpeg's image demuxer is not allowed
    ("truncated", "not_media"),  # half of an MP4 whose index is at the end
    ("empty", "empty"),
    ("playlist", "not_media"),  # an HLS playlist that would read a local file
    ("silent_video", "no_audio"),
]


@pytest.mark.parametrize(("sample", "code"), FAKES, ids=[f[0] for f in FAKES])
def test_fakes_are_refused_with_a_reason(media, sample, code):
    with pytest.raises(MediaRejected) as refused:
        probe(media[sample])
    assert refused.value.code == code


def test_an_mp3_cut_off_before_its_declared_end_is_truncated(media, tmp_path):
    """The MP3's header still announces 3 seconds; the packets stop half-way."""
    data = media["mp3"].read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaRejected) as refused:
        probe(cut)
    assert refused.value.code == "truncated"


RULES = MediaRules(allow_audio=True, allow_video=True, min_duration_s=2, max_duration_s=10, max_bytes=1000)


def _info(**changes):
    values = {"container": "wav", "kind": "audio", "duration_s": 5.0, "audio_codec": "pcm_s16le", "size_bytes": 500}
    return MediaInfo(**{**values, **changes})


@pytest.mark.parametrize(
    ("info", "rules", "code"),
    [
        (_info(duration_s=1.5), RULES, "too_short"),
        (_info(duration_s=12.5), RULES, "too_long"),
        (_info(size_bytes=1001), RULES, "too_big"),
        (
            _info(kind="video", width=640, height=360),
            RULES.__class__(**{**RULES.__dict__, "allow_video": False}),
            "video_not_allowed",
        ),
        (_info(), RULES.__class__(**{**RULES.__dict__, "allow_audio": False}), "audio_not_allowed"),
        (
            _info(kind="video", width=320, height=240),
            RULES.__class__(**{**RULES.__dict__, "min_video_lines": 360}),
            "low_resolution",
        ),
    ],
    ids=["too_short", "too_long", "too_big", "video_not_allowed", "audio_not_allowed", "low_resolution"],
)
def test_round_rules(info, rules, code):
    with pytest.raises(MediaRejected) as refused:
        check_rules(info, rules)
    assert refused.value.code == code


def test_rules_accept_a_recording_that_fits_and_allow_a_timer_overshoot():
    check_rules(_info(duration_s=11.5), RULES)  # the recorder's timer stops a frame or two late
    check_rules(_info(kind="video", width=720, height=1280), RULES)  # portrait: 720 lines


def test_reasons_are_rendered_in_the_reader_s_language():
    with translation.override("en"):
        english = reason_text("too_long", {"duration": 725.4, "limit": 600})
    with translation.override("vi"):
        vietnamese = reason_text("too_long", {"duration": 725.4, "limit": 600})
    assert "12 min 05 s" in english and "10 min 00 s" in english
    assert english != vietnamese and "12 phút 05 giây" in vietnamese


# --- Limits: what a file may hold before a worker spends anything on it ---------------------------------------

ENGLISH_REASONS = {
    "too_many_lines": "The video is 4320 lines high; the limit is 2160.",
    "too_many_fps": "The video has 120 frames per second; the limit is 60.",
    "too_many_channels": "The sound has 16 channels; the limit is 8.",
    "sample_rate_too_high": "The sound is sampled at 192 kHz; the limit is 96 kHz.",
}


@pytest.fixture(scope="module")
def over_limits(tmp_path_factory) -> dict[str, Path]:
    """Real files over the platform's maxima, made with PyAV (each a fraction of a second long)."""
    folder = tmp_path_factory.mktemp("limits")
    return {
        "too_many_lines": synth.video_file(folder / "8k.mp4", fmt="mp4", seconds=0.2, fps=5, size=(7680, 4320)),
        "too_many_fps": synth.video_file(folder / "fast.webm", fmt="webm", seconds=0.5, fps=120, size=(160, 120)),
        "too_many_channels": synth.audio_file(folder / "16ch.wav", fmt="wav", seconds=0.5, layout="hexadecagonal"),
        "sample_rate_too_high": synth.audio_file(folder / "hi.wav", fmt="wav", seconds=0.5, rate=192_000),
    }


@pytest.mark.parametrize("code", list(ENGLISH_REASONS))
def test_files_over_the_platform_maxima_are_refused_with_their_reason(over_limits, code):
    with pytest.raises(MediaRejected) as refused:
        probe(over_limits[code])
    assert refused.value.code == code
    with translation.override("en"):
        assert refused.value.message == ENGLISH_REASONS[code]


def test_files_at_the_limits_are_accepted(tmp_path):
    """60 fps (timestamps rounded to the millisecond in WebM), 96 kHz, 5.1 sound (downmixed by the transcode)."""
    fast = probe(synth.video_file(tmp_path / "60.webm", fmt="webm", seconds=1, fps=60, size=(160, 120)))
    assert fast.fps == pytest.approx(60, abs=0.5)
    assert probe(synth.audio_file(tmp_path / "96k.wav", fmt="wav", seconds=0.5, rate=96_000)).sample_rate == 96_000
    surround = probe(synth.audio_file(tmp_path / "51.m4a", fmt="m4a", seconds=0.5, layout="5.1"))
    assert surround.channels == 6


def test_a_stricter_platform_refuses_surround_sound_and_smaller_pictures(media, tmp_path):
    surround = synth.audio_file(tmp_path / "51.wav", fmt="wav", seconds=0.5, layout="5.1")
    with pytest.raises(MediaRejected) as refused:
        probe(surround, limits=MediaLimits(max_channels=2))
    assert (refused.value.code, refused.value.params) == ("too_many_channels", {"channels": 6, "limit": 2})
    with pytest.raises(MediaRejected) as refused:
        probe(media["video_mp4"], limits=MediaLimits(max_lines=200))
    assert (refused.value.code, refused.value.params) == ("too_many_lines", {"lines": 240, "limit": 200})


def _declare_frame_size(webm: Path, target: Path, width: int, height: int) -> Path:
    """Rewrite a WebM's declared picture size (PixelWidth, PixelHeight) around its real 320×240 frames.

    The 1-byte PixelHeight becomes 2 bytes; the TrackUID of the same track gives one byte back, so that no
    element size around them changes.
    """
    data = webm.read_bytes()
    video = re.search(rb"\xe0\x87\xb0\x82..\xba\x81.", data, re.S)
    uid = list(re.finditer(rb"\x73\xc5\x88(.{8})", data[: video.start()], re.S))[-1]
    declared = b"\xe0\x88\xb0\x82" + width.to_bytes(2, "big") + b"\xba\x82" + height.to_bytes(2, "big")
    patched = b"".join(
        [
            data[: uid.start()],
            b"\x73\xc5\x87" + uid.group(1)[1:],
            data[uid.end() : video.start()],
            declared,
            data[video.end() :],
        ]
    )
    assert len(patched) == len(data)
    target.write_bytes(patched)
    return target


def _flood(path: Path, fmt: str, *, frames: int) -> Path:
    """A video of one 16×16 frame repeated every millisecond, with sound: thousands of packets in a few KB each."""
    codec = {"webm": "libvpx", "mp4": "libx264"}[fmt]
    with av.open(str(path), "w", format=fmt, options={"live": "1"} if fmt == "webm" else {}) as output:
        video = output.add_stream(codec, rate=1000)
        video.width = video.height = 16
        video.pix_fmt = "yuv420p"
        video.codec_context.time_base = Fraction(1, 1000)
        audio = output.add_stream("libopus" if fmt == "webm" else "aac", rate=48_000, layout="mono")
        picture = av.VideoFrame(16, 16, "yuv420p")
        picture.pts, picture.time_base = 0, Fraction(1, 1000)
        packet = [*video.encode(picture), *video.encode(None)][0]
        for index in range(frames):
            packet.pts = packet.dts = index
            packet.duration, packet.time_base, packet.stream = 1, Fraction(1, 1000), video
            output.mux(packet)
        synth._write_audio(output, audio, seconds=frames / 1000, rate=48_000, amplitude=0.3, speech=False)
    return path


def test_bombs_are_refused_before_they_cost_anything(media, tmp_path, copy_of):
    """A few KB declaring a 16000×16000 picture; a flood of 1 ms frames; an MP4 declaring thousands of
    frames. Each is refused from its headers or after a bounded number of packets."""
    round_limits = MediaLimits(max_duration_s=5)
    huge = _declare_frame_size(copy_of(media["video_webm"]), tmp_path / "huge.webm", 16000, 16000)
    with av.open(str(huge)) as container:
        assert container.streams.video[0].codec_context.width == 16000, "FFmpeg believes the header"
    with pytest.raises(MediaRejected) as refused:
        probe(huge, limits=round_limits)
    assert (refused.value.code, refused.value.params) == ("too_many_lines", {"lines": 16000, "limit": 2160})

    flood = _flood(tmp_path / "flood.webm", "webm", frames=3000)
    with pytest.raises(MediaRejected) as refused:
        probe(flood, limits=round_limits)
    assert refused.value.code == "implausible"
    assert refused.value.params["frames"] == round_limits.max_video_packets + 1, "stopped at the cap"
    with translation.override("en"):
        assert "it is damaged or not a real recording" in refused.value.message

    declared = _flood(tmp_path / "flood.mp4", "mp4", frames=1000)
    with pytest.raises(MediaRejected) as refused:
        probe(declared, limits=round_limits)
    assert (refused.value.code, refused.value.params) == ("implausible", {"frames": 1000})


def test_reading_stops_once_the_packets_pass_the_longest_duration(media):
    """A recording longer than the round allows is refused while its packets are read, not after all of them."""
    with pytest.raises(MediaRejected) as refused:
        probe(media["long"], limits=MediaLimits(max_duration_s=3))
    assert refused.value.code == "too_long" and refused.value.params["limit"] == 3
    assert 5 <= refused.value.params["duration"] < 6, "stopped just past 3 s + the grace"
