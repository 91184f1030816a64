from django import template
from django.utils.html import format_html, format_html_join

from ..media_probe import format_duration

register = template.Library()

BAR = 3  # width of one bar plus its gap, in SVG units


@register.simple_tag
def waveform(peaks, label: str = ""):
    """The recording's peaks as an SVG of bars mirrored around the middle line (no script, no image request)."""
    heights = [max(1.0, min(100.0, float(peak) * 100)) for peak in (peaks or [])]
    if not heights:
        return ""
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="2" height="{}"></rect>',
        ((i * BAR, f"{50 - h / 2:.1f}", f"{h:.1f}") for i, h in enumerate(heights)),
    )
    return format_html(
        '<svg class="waveform" viewBox="0 0 {} 100" preserveAspectRatio="none" role="img" aria-label="{}">{}</svg>',
        len(heights) * BAR,
        label,
        bars,
    )


@register.filter
def seconds(value) -> str:
    """A number of seconds as people say it: "5 min 00 s", "45 seconds"."""
    return format_duration(float(value or 0))
