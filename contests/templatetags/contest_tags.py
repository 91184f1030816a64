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
