"""The commands' shared context: how a command's work is run on an event loop."""

from __future__ import annotations

from pathlib import Path

from controller.assembly import assemble
from controller.store import open_store
from northbound.cli.context import Context
from southbound.inventory import Inventory


class _Result:
    """A result that counts how often its text is made."""

    def __init__(self) -> None:
        self.texts = 0

    def __repr__(self) -> str:
        self.texts += 1
        return "<result>"


def test_run_hands_the_result_over_without_making_its_text(tmp_path: Path) -> None:
    # asyncio.run (Python 3.11) makes the text of its main task, result
    # included, as it ends: for a large plan that costs tens of ms.
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    inventory = Inventory(
        devices={}, known_hosts=tmp_path / "known_hosts", secrets_path=tmp_path / "secrets"
    )
    parts = assemble(store=store, inventory=inventory, command="test")
    context = Context(store, inventory, parts.pool, parts.controller, parts.sync)
    made = _Result()

    async def work() -> _Result:
        return made

    assert context.run(work) is made
    assert made.texts == 0
    store.close()
