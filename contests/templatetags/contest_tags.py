from django import template
from django.utils.safestring import mark_safe

from contests.text import render_markdown

register = template.Library()


@register.filter
def markdown(source: str) -> str:
    """Markdown → sanitised HTML (see contests/text.py for what is allowed)."""
    return mark_safe(render_markdown(source))  # noqa: S308 - sanitised by nh3 in render_markdown


@register.simple_tag
def phase(obj, now):
    return obj.phase(now)


@register.filter
def duration(value) -> str:
    """A timedelta as a clock reading: "4:05" (minutes:seconds) or "1:02:03"; empty for None."""
    if value is None:
        return ""
    total = int(value.total_seconds()) if hasattr(value, "total_seconds") else int(value) // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
