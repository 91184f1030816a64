"""deploy/systemd: each periodic job is a oneshot service started by its timer (no `while True: sleep` loop
left in production), and scripts/render-deploy fills in every placeholder of the timers too."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
PERIODIC = {
    "contest-sweep-attempts": "manage.py sweep_attempts",
    "contest-sweep-entries": "manage.py sweep_entries",
    "contest-prune-tasks": "manage.py prune_db_task_results",
    "contest-backup": "manage.py backup",
    "contest-notify-rounds": "manage.py notify_rounds",
}


def _values(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z]+)=(.*)$", path.read_text(), re.MULTILINE))


def test_every_periodic_job_is_a_oneshot_run_by_its_timer():
    for name, command in PERIODIC.items():
        service, timer = _values(UNITS / f"{name}.service"), _values(UNITS / f"{name}.timer")
        assert service["Type"] == "oneshot" and "Restart" not in service, name
        assert command in service["ExecStart"] and "--every" not in service["ExecStart"], name
        assert timer["Unit"] == f"{name}.service"
        assert "OnUnitActiveSec" in timer or "OnCalendar" in timer, name
        assert "contest.target" in timer["WantedBy"]
    assert _values(UNITS / "contest-backup.timer")["Persistent"] == "true", "a missed night runs at boot"


def test_render_deploy_fills_in_the_timers_and_their_services(tmp_path):
    environment = {**os.environ, "SECRET_KEY": "k" * 50, "DATABASE_URL": "postgres://x@db/contest",
                   "REDIS_URL": "redis://r:6379/0"}  # fmt: skip
    subprocess.run([str(ROOT / "scripts" / "render-deploy"), str(tmp_path)], env=environment, check=True,
                   capture_output=True)  # fmt: skip
    for name in PERIODIC:
        for suffix in (".service", ".timer"):
            text = (tmp_path / "systemd" / f"{name}{suffix}").read_text()
            assert not re.search(r"@[A-Z][A-Z0-9_]*@", text), f"{name}{suffix} has a placeholder left"
    backup = _values(tmp_path / "systemd" / "contest-backup.service")["ExecStart"]
    assert backup.endswith("manage.py backup --to /srv/contest/backups")
