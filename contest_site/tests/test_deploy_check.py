"""``manage.py check --deploy`` under the production settings, with the environment docs/deployment.md lists,
reports nothing at all: not an error, not a warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DOCUMENTED_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "contest_site.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "thi.thainguyen.example.vn",
    "CSRF_TRUSTED_ORIGINS": "https://thi.thainguyen.example.vn",
    # Never reached: the checks read the configuration only (port 9 is the discard port).
    "DATABASE_URL": "postgres://contest:secret@127.0.0.1:9/contest",
    "REDIS_URL": "redis://127.0.0.1:9/0",
}


def test_check_deploy_reports_nothing_with_the_documented_environment(tmp_path):
    environment = {**os.environ, **DOCUMENTED_ENVIRONMENT, "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr
