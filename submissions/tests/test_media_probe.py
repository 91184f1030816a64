"""``media_probe``: what a file really is, from its content, and whether a round accepts it (no database)."""

import pytest
from django.utils import translation

from submissions.media_probe import MediaInfo, MediaRejected, MediaRules, check_rules, probe, reason_text

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
