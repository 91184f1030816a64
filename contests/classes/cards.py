"""Login cards: one A4 PDF, eight cards a page (cut along the lines), one per pupil, each with the unit,
class, name, username, temporary password and a QR code (segno) that opens the sign-in page with the
username filled in. The bundled DejaVu font has every Vietnamese glyph."""

from __future__ import annotations

import io

import segno
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from contest_site.pdf_fonts import register_fonts

COLUMNS, ROWS = 2, 4
MARGIN = 10 * mm
QR_SIZE = 30 * mm


def _qr(page: canvas.Canvas, url: str, x: float, y: float) -> None:
    """Draw the QR code of ``url`` as filled squares (crisp at any print size, no image library)."""
    code = segno.make(url, error="m")
    matrix = code.matrix
    cell = QR_SIZE / len(matrix)
    page.setFillColor(black)
    for r, line in enumerate(matrix):
        for c, dark in enumerate(line):
            if dark:
                page.rect(x + c * cell, y + QR_SIZE - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def render_cards(cards: list[dict], *, unit_name: str) -> bytes:
    """``cards``: dicts with full_name, class_name, username, password and login_url (absolute)."""
    register_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(_("Login cards · %(unit)s") % {"unit": unit_name})
    width, height = A4
    card_w = (width - 2 * MARGIN) / COLUMNS
    card_h = (height - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for index, card in enumerate(cards):
        if index and index % per_page == 0:
            page.showPage()
        slot = index % per_page
        x = MARGIN + (slot % COLUMNS) * card_w
        y = height - MARGIN - (slot // COLUMNS + 1) * card_h
        _card(page, card, x, y, card_w, card_h, unit_name)
    if not cards:
        page.setFont("DejaVu", 12)
        page.drawString(MARGIN, height - MARGIN - 10 * mm, _("No cards to print."))
    page.showPage()
    page.save()
    return out.getvalue()


def _card(page, card: dict, x: float, y: float, w: float, h: float, unit_name: str) -> None:
    page.setStrokeColor(HexColor("#999999"))
    page.setDash(3, 3)
    page.rect(x, y, w, h)
    page.setDash()
    left, top = x + 5 * mm, y + h - 8 * mm
    page.setFillColor(HexColor("#0b6e4f"))
    page.setFont("DejaVu-Bold", 9)
    page.drawString(left, top, unit_name[:55])
    page.setFillColor(black)
    page.setFont("DejaVu", 9)
    page.drawString(left, top - 5 * mm, _("Class %(name)s") % {"name": card["class_name"]})
    page.setFont("DejaVu-Bold", 12)
    page.drawString(left, top - 12 * mm, card["full_name"][:40])
    page.setFont("DejaVu", 9)
    page.drawString(left, top - 20 * mm, _("Username:"))
    page.drawString(left, top - 31 * mm, _("Temporary password:"))
    page.setFont("Courier-Bold", 13)
    page.drawString(left, top - 25.5 * mm, card["username"])
    page.drawString(left, top - 36.5 * mm, card["password"])
    page.setFont("DejaVu", 7.5)
    page.drawString(left, y + 9 * mm, _("Scan the code or open:"))
    page.drawString(left, y + 5 * mm, card["login_url"][:70])
    page.drawString(left, y + 13 * mm, _("You will choose your own password at first sign-in."))
    _qr(page, card["login_url"], x + w - QR_SIZE - 4 * mm, y + h - QR_SIZE - 10 * mm)
