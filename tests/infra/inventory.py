"""The per-stack resource inventory in docs/infra.md, generated from the mocked programs so the doc matches
the code. `uv run python tests/infra/inventory.py --write` refreshes it; test_inventory.py checks it.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]

from infra_harness import ROOT, STACKS, stack_run  # noqa: E402

DOC = ROOT / "docs" / "infra.md"
BEGIN, END = "<!-- inventory:begin -->", "<!-- inventory:end -->"


def inventory_markdown() -> str:
    sections = []
    for stack in STACKS:
        counts = Counter(r.type for r in stack_run(stack).resources)
        lines = [f"### {stack}", "", "| resource type | count |", "| --- | ---: |"]
        lines += [f"| `{type_}` | {counts[type_]} |" for type_ in sorted(counts)]
        lines.append(f"| **total** | **{sum(counts.values())}** |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def with_inventory(doc: str) -> str:
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{inventory_markdown()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(with_inventory(DOC.read_text()))
    else:
        print(inventory_markdown())
