"""Move a test database along the migration graph: back to a state before a change (to create rows as
the old code did), then forward to the newest state (to read them back through today's models)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str | None]]):
    """Apply or unapply migrations until exactly ``targets`` hold; the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def migrate_forward() -> None:
    """Every app to its newest migration, as ``manage.py migrate`` does on deployment."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
