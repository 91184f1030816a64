"""The locked dependencies: production installs runtime packages only, every one pinned with its hashes, and
what parses untrusted XML does so through defusedxml."""

from __future__ import annotations

import io
import re
import zipfile
from importlib import metadata
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from contests.xlsx import UnreadableWorkbook, open_workbook
from quizzes.importing.base import ImportFileError
from quizzes.importing.moodle_xml import xml_root

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-asyncio",
    "playwright",
    "ruff",
    "hypothesis",
    "schemathesis",
    "mypy",
    "django-stubs",
    "pip-tools",
    "pre-commit",
    "pypdf",
    "websockets",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(path: Path) -> dict[str, str]:
    """{package: version} of a pip-compile lock; fails on a line that is neither a pin, a hash nor a comment."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("--hash="):
            continue
        match = PIN.match(stripped)
        assert match, f"{path.name}:{number} is not a pinned requirement: {line!r}"
        name = _normalise(match.group(1))
        assert name not in pins, f"{path.name}: {name} is pinned twice"
        pins[name] = match.group(2)
    return pins


def _hashed_blocks(path: Path) -> list[str]:
    return [block for block in re.split(r"\n(?=[A-Za-z])", path.read_text()) if PIN.match(block)]


def test_production_lock_holds_no_test_tool_and_the_transitive_dependencies():
    runtime = _locked(ROOT / "requirements.txt")
    assert not TEST_TOOLS & set(runtime), "test tools belong in requirements-dev.in"
    # What contest_site/serve.py and the live broadcast reach into is locked, not left to the resolver.
    for package in ("twisted", "autobahn", "asgiref", "daphne", "channels", "psycopg-pool", "defusedxml"):
        assert package in runtime, f"{package} is not locked"
    assert runtime["django"].startswith("5.2.")


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-dev.txt"])
def test_every_locked_package_carries_its_hashes(lock):
    blocks = _hashed_blocks(ROOT / lock)
    assert blocks
    unhashed = [block.split()[0] for block in blocks if "--hash=sha256:" not in block]
    assert not unhashed, f"{lock}: without hashes (pip refuses the whole file): {unhashed}"


def test_dev_lock_is_the_runtime_lock_plus_the_tools():
    runtime, dev = _locked(ROOT / "requirements.txt"), _locked(ROOT / "requirements-dev.txt")
    differing = {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version}
    assert not differing, "recompile requirements-dev.txt (`make lock`)"
    assert set(dev) >= TEST_TOOLS


def test_the_environment_runs_the_locked_versions():
    """The tests run against what production installs: an upgrade made by hand in the virtualenv shows here."""
    installed = {_normalise(d.metadata["Name"]): d.version for d in metadata.distributions()}
    runtime = _locked(ROOT / "requirements.txt")
    drifted = {
        name: (version, installed.get(name))
        for name, version in runtime.items()
        if installed.get(name) != version and name not in {"pip", "setuptools"}
    }
    assert not drifted, "run `make setup` (locked, installed)"


def test_moodle_xml_is_parsed_with_dtds_and_entities_forbidden():
    """Past the importer's byte search, the parser itself refuses declarations (here in UTF-16, which the
    search cannot read)."""
    document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE q [<!ENTITY a "aaaa">]><quiz>&a;</quiz>'
    with translation.override("en"), pytest.raises(ImportFileError, match="DOCTYPE or entities"):
        xml_root(document.encode("utf-16"))
    assert xml_root(b"<quiz><question type='category'/></quiz>").tag == "quiz"


LAUGHS = '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def _workbook_declaring_entities() -> bytes:
    """A valid workbook whose xl/workbook.xml (read on opening) declares expanding entities."""
    book = openpyxl.Workbook()
    book.active["A1"] = "text"
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = LAUGHS.encode() + data.split(b"?>", 1)[-1]
            target.writestr(item, data)
    return out.getvalue()


def test_openpyxl_reads_workbooks_through_defusedxml():
    """openpyxl switches to defusedxml by itself when it is installed (and OPENPYXL_DEFUSEDXML is not
    "False"): a workbook declaring entities is refused instead of expanded."""
    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(UnreadableWorkbook) as refused:
        open_workbook(_workbook_declaring_entities())
    causes, error = [], refused.value
    while error is not None:
        causes.append(type(error).__module__)
        error = error.__cause__ or error.__context__
    assert any(module.startswith("defusedxml") for module in causes), causes
