"""No template carries code or looks that the Content-Security-Policy would block: no style attribute or
<style> element, no inline event handler, no inline <script> other than JSON data, no javascript: link.

A browser would block them silently (and the page would half-work), so they are caught here, before any
browser runs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANDLER = re.compile(r"on[a-z]+")


def templates() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]
    return sorted(path for folder in folders if ".venv" not in folder.parts for path in folder.rglob("*.html"))


class InlineCodeFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        line = self.getpos()[0]
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        if tag == "script" and "src" not in found and found.get("type") != "application/json":
            self.problems.append(f"line {line}: inline <script>")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"line {line}: style attribute on <{tag}>")
            elif HANDLER.fullmatch(name) and value is not None:
                self.problems.append(f"line {line}: {name} handler on <{tag}>")
            elif name in ("href", "action", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL")


def test_templates_hold_no_inline_code_or_styles():
    assert len(templates()) > 50  # the scan really sees the apps' templates
    problems = {}
    for path in templates():
        finder = InlineCodeFinder()
        finder.feed(path.read_text(encoding="utf-8"))
        if finder.problems:
            problems[str(path.relative_to(ROOT))] = finder.problems
    assert problems == {}


def test_the_finder_sees_what_the_policy_blocks():
    finder = InlineCodeFinder()
    finder.feed(
        '<p style="color:red">x</p><style>p{}</style><script>alert(1)</script><button onclick="f()">b</button>'
        '<a href="javascript:f()">a</a><script type="application/json">{}</script><script src="/s.js"></script>'
        '<pre>&lt;iframe style="border:0"&gt;</pre>'
    )
    assert len(finder.problems) == 5
