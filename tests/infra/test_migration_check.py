"""Migrations stay backward compatible with the release still serving: no dropping or renaming what it reads."""

from __future__ import annotations

import subprocess
import sys

from infra_harness import ROOT

from infra import migration_check

TABLES = "platform/windsurf/catalog/tables.py"
NEW = "platform/windsurf/catalog/piccolo_migrations/catalog_2027_01_01t00_00_00_000000.py"
PREVIOUS = {
    TABLES: (ROOT / TABLES).read_text(),  # the real Product table: it declares `slug`, `pwyw_min_santim`, ...
}
DROP = """
from piccolo.apps.migrations.auto.migration_manager import MigrationManager


async def forwards():
    manager = MigrationManager(migration_id="x", app_name="catalog", description="")
    manager.drop_column(
        table_class_name="Product", tablename="product", column_name="pwyw_min_santim",
        db_column_name="pwyw_min_santim", schema=None,
    )
    return manager
"""
RENAME = DROP.replace(
    'manager.drop_column(\n        table_class_name="Product", tablename="product", column_name="pwyw_min_santim",\n'
    '        db_column_name="pwyw_min_santim", schema=None,\n    )',
    'manager.rename_column(table_class_name="Product", tablename="product", old_column_name="slug",'
    ' new_column_name="handle", old_db_column_name="slug", new_db_column_name="handle")',
)
RAW = DROP.replace(
    'manager.drop_column(\n        table_class_name="Product", tablename="product", column_name="pwyw_min_santim",\n'
    '        db_column_name="pwyw_min_santim", schema=None,\n    )',
    'manager.add_raw(lambda: Product.raw("ALTER TABLE product DROP COLUMN IF EXISTS sales_limit"))',
)


def test_dropping_or_renaming_a_column_the_previous_release_reads_fails() -> None:
    for source, column in ((DROP, "pwyw_min_santim"), (RENAME, "slug"), (RAW, "sales_limit")):
        found = migration_check.problems(PREVIOUS, {**PREVIOUS, NEW: source})
        assert len(found) == 1 and f"product.{column}" in found[0], found


def test_contracting_a_column_the_previous_release_no_longer_declares_passes() -> None:
    previous = {TABLES: PREVIOUS[TABLES].replace("    pwyw_min_santim = ", "    # dropped next release: ")}
    assert "pwyw_min_santim =" not in previous[TABLES]
    assert migration_check.problems(previous, {**previous, NEW: DROP}) == []
    # Migrations that were already there in the previous release are not judged again.
    assert migration_check.problems({**PREVIOUS, NEW: DROP}, {**PREVIOUS, NEW: DROP}) == []


def test_the_repository_against_its_own_history_passes() -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "infra.migration_check", "--previous", head.stdout.strip()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
