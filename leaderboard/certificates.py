"""Certificate PDFs: A4 landscape, a bundled DejaVu font (it has every Vietnamese glyph, which reportlab's
built-in fonts do not), the code printed and as a QR code leading to the public verification page."""

from __future__ import annotations

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from contest_site.pdf_fonts import register_fonts


def render_pdf(certificate, *, verify_url: str) -> bytes:
    """One certificate as a PDF. Reads the published row, so the PDF says what the results say."""
    register_fonts()
    row = certificate.row
    event = row.result_set.owner_event
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=landscape(A4))
    width, height = landscape(A4)
    page.setTitle(f"{_('Certificate')} {certificate.code}")
    page.setStrokeColor(HexColor("#0b6e4f"))
    page.setLineWidth(3)
    page.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    center = width / 2
    page.setFillColor(HexColor("#0b6e4f"))
    page.setFont("DejaVu-Bold", 14)
    page.drawCentredString(center, height - 32 * mm, event.organisation.name.upper())
    page.setFont("DejaVu-Bold", 34)
    page.drawCentredString(center, height - 55 * mm, _("CERTIFICATE"))
    page.setFillColor(HexColor("#222222"))
    page.setFont("DejaVu", 14)
    page.drawCentredString(center, height - 70 * mm, _("is awarded to"))
    page.setFont("DejaVu-Bold", 28)
    page.drawCentredString(center, height - 88 * mm, row.full_name)
    page.setFont("DejaVu", 15)
    if certificate.kind == "prize":
        line = _("%(prize)s (rank %(rank)d)") % {"prize": row.get_prize_display(), "rank": row.rank}
    else:
        line = _("for taking part")
    if row.section:  # a prize of one list (pupils, a district…): the certificate names the list
        line = _("%(line)s · %(list)s") % {"line": line, "list": row.section}
    page.drawCentredString(center, height - 103 * mm, line[:110])
    page.setFont("DejaVu-Bold", 16)
    title = event.title if row.result_set.event_id else f"{event.title} · {row.result_set.round.title}"
    page.drawCentredString(center, height - 116 * mm, title[:90])
    page.setFont("DejaVu", 11)
    issued = formats.date_format(timezone.localtime(certificate.issued_at), "SHORT_DATE_FORMAT")
    page.drawCentredString(center, height - 128 * mm, _("Issued on %(date)s") % {"date": issued})
    page.drawString(22 * mm, 24 * mm, _("Code: %(code)s") % {"code": certificate.code})
    page.drawString(22 * mm, 19 * mm, _("Verify at %(url)s") % {"url": verify_url})
    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, page, width - 22 * mm - size, 17 * mm)
    page.showPage()
    page.save()
    return out.getvalue()
