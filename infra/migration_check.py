"""Migrations must stay backward compatible: during a release the previous version keeps serving (the live
colour, the stable storefront) against the already-migrated database, and Piccolo selects every column a table
declares. So a migration may drop or rename a column (or drop a table) only when the previous release's code no
longer declares it: remove it from tables.py in one release, drop it in the next (expand, then contract).

`python -m infra.migration_check --previous <git ref of the deployed release>` exits 1 and names each offending
migration; the deploy workflows run it with the tag the stack reports in its `release` output.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = "platform/windsurf"
RAW_DROP = re.compile(
    r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?\s+DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?\"?(\w+)", re.I
)
RAW_RENAME = re.compile(
    r"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?\s+RENAME\s+COLUMN\s+\"?(\w+)", re.I
)
RAW_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)", re.I)


@dataclass(frozen=True)
class Removal:
    """A column (or, with column None, a whole table) a migration takes away from its old name."""

    migration: str
    table: str  # the table name in the database
    column: str | None
    how: str


def declared_columns(tables_sources: Iterable[str]) -> dict[str, set[str]]:
    """table name -> column names its Piccolo Table class declares (what every select reads)."""
    result: dict[str, set[str]] = {}
    for source in tables_sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ClassDef):
                continue
            tablename = _snake(node.name)
            for keyword in node.keywords:
                if keyword.arg == "tablename" and isinstance(keyword.value, ast.Constant):
                    tablename = str(keyword.value.value)
            columns = set()
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
                    for target in statement.targets:
                        if isinstance(target, ast.Name):
                            columns.add(_db_column(statement.value) or target.id)
            if columns:
                result[tablename] = columns
    return result


def removals(migration_name: str, source: str) -> list[Removal]:
    """What one Piccolo migration drops or renames: manager calls and raw SQL alike."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            kwargs = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            table = str(
                kwargs.get("tablename")
                or _snake(str(kwargs.get("table_class_name") or kwargs.get("class_name")))
            )
            if node.func.attr == "drop_column":
                column = kwargs.get("db_column_name") or kwargs.get("column_name")
                found.append(Removal(migration_name, table, str(column), "drops"))
            elif node.func.attr == "rename_column":
                column = kwargs.get("old_db_column_name") or kwargs.get("old_column_name")
                found.append(Removal(migration_name, table, str(column), "renames"))
            elif node.func.attr == "drop_table":
                found.append(Removal(migration_name, table, None, "drops"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for table, column in RAW_DROP.findall(node.value):
                found.append(Removal(migration_name, table, column, "drops"))
            for table, column in RAW_RENAME.findall(node.value):
                found.append(Removal(migration_name, table, column, "renames"))
            for table in RAW_DROP_TABLE.findall(node.value):
                found.append(Removal(migration_name, table, None, "drops"))
    return found


def problems(previous: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """`previous` and `current`: path -> source of the two releases' files under platform/windsurf."""
    still_read = declared_columns(text for path, text in previous.items() if path.endswith("/tables.py"))
    messages = []
    for path in sorted(set(current) - set(previous)):
        if "/piccolo_migrations/" not in path or path.endswith("__init__.py"):
            continue
        for removal in removals(path, current[path]):
            columns = still_read.get(removal.table)
            if columns is None:
                continue
            if removal.column is None:
                messages.append(
                    f"{path} {removal.how} table {removal.table}, which the previous release still reads"
                )
            elif removal.column in columns:
                messages.append(
                    f"{path} {removal.how} column {removal.table}.{removal.column}, which the previous release "
                    "still reads: remove it from tables.py in one release and drop it in the next"
                )
    return messages


def files_at(ref: str | None) -> dict[str, str]:
    """Sources under platform/windsurf at git `ref` (None: the working tree)."""
    if ref is None:
        return {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / SOURCES).rglob("*.py")}
    listing = _git("ls-tree", "-r", "--name-only", ref, SOURCES).split()
    return {path: _git("show", f"{ref}:{path}") for path in listing if path.endswith(".py")}


def _git(*args: str) -> str:
    git = ["git", *args]
    return subprocess.run(git, cwd=ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603


def _db_column(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "db_column_name" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.migration_check", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--previous", required=True, help="git ref of the release now serving ('bootstrap': none)"
    )
    args = parser.parse_args(argv)
    if args.previous == "bootstrap":
        print("no previous release: nothing to stay compatible with")
        return 0
    found = problems(files_at(args.previous), files_at(None))
    for message in found:
        print(message, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
