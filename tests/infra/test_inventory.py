"""docs/infra.md carries the resource inventory of every stack exactly as the mocked programs register it."""

from inventory import DOC, with_inventory


def test_docs_inventory_is_current() -> None:
    doc = DOC.read_text()
    assert doc == with_inventory(doc), "run `uv run python tests/infra/inventory.py --write`"
