"""The font of every PDF the platform prints (certificates, class login cards): DejaVu, bundled in
``contest_site/fonts`` with its licence, because reportlab's built-in fonts have no Vietnamese glyphs. Shared
infrastructure, so that the apps that print do not import each other for it."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVu", "DejaVu-Bold"
_registered = False


def register_fonts() -> None:
    """Register DejaVu and DejaVu-Bold with reportlab, once per process."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
        _registered = True
