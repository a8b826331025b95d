"""Hand-made changes on a router: detected, shown, repaired or adopted, through the CLI.

The hand edit goes through another NETCONF session, the way an operator
at the router's console would make it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from controller.diff import Edit, Operation
from controller.render.netsla_router import SCHEMA
from controller.render.tree import NodeId
from controller.render.xml import edit_payload
from lab.state import LabState
from northbound.cli import cli
from southbound.inventory import Inventory
from southbound.netconf import Datastore, NetconfSession
from tests.controller.labharness import ROUTERS, Harness

pytestmark = pytest.mark.lab
EXAMPLES = Path(__file__).parents[2] / "examples"
SUBINTERFACE = "subinterface[eth1][100]"


def hand_edit(inventory: Inventory, device: str, edits: list[Edit]) -> None:
    async def run() -> None:
        session = NetconfSession(device=inventory.devices[device], inventory=inventory)
        try:
            await session.lock(Datastore.CANDIDATE)
            await session.edit_config(edit_payload(SCHEMA, edits), target=Datastore.CANDIDATE)
            await session.commit()
            await session.unlock(Datastore.CANDIDATE)
        finally:
            await session.close()

    asyncio.run(run())


class Cli:
    def __init__(self, lab: LabState, tmp_path: Path) -> None:
        self.common = ["--database", f"sqlite:///{tmp_path / 'cli.db'}"]
        self.common += ["--inventory", str(lab.inventory)]

    def __call__(self, *args: str, code: int = 0) -> Any:
        result: Result = CliRunner().invoke(cli, [*args, *self.common, "--format", "json"])
        assert result.exit_code == code, (result.output, result.exception)
        return json.loads(result.stdout) if result.stdout.strip() else None


def states(data: list[dict[str, str]]) -> dict[str, str]:
    return {r["device"]: r["state"] for r in data}


def test_hand_change_detected_shown_repaired_and_adopted(
    harness: Harness, inventory: Inventory, lab: LabState, tmp_path: Path
) -> None:
    run = Cli(lab, tmp_path)
    documents = [str(EXAMPLES / "sla-templates.json"), str(EXAMPLES / "acme-gold-any-to-any.json")]
    run("service", "apply", *documents)
    applied = harness.running()
    assert states(run("device", "check-sync", "--all")) == dict.fromkeys(ROUTERS, "in-sync")

    node = NodeId.parse(SUBINTERFACE)
    hand_edit(inventory, "pe2", [Edit(node, Operation.MERGE, set={"description": "by hand"})])
    assert states(run("device", "check-sync", "--all", code=1))["pe2"] == "out-of-sync"
    (shown,) = run("device", "compare-config", "pe2")
    assert shown["node"] == SUBINTERFACE
    assert shown["set"]["description"] == applied["pe2"][SUBINTERFACE]["description"]

    planned = run("service", "re-deploy", "acme-corp", "--dry-run")
    assert list(planned) == ["pe2"]
    assert harness.running()["pe2"][SUBINTERFACE]["description"] == "by hand"
    run("service", "re-deploy", "acme-corp")
    assert harness.running() == applied
    assert run("service", "re-deploy", "acme-corp") == {}

    hand_edit(inventory, "pe3", [Edit(NodeId.parse(SUBINTERFACE), Operation.DELETE)])
    assert states(run("device", "check-sync", "pe3", code=1)) == {"pe3": "out-of-sync"}
    assert list(run("device", "sync-to", "pe3")) == ["pe3"]
    assert harness.running() == applied
    journal = run("transaction", "list")
    assert [t["state"] for t in journal] == ["committed"] * 3  # sync-to, re-deploy, apply

    extra = Edit(NodeId.parse("policy[cir-777k]"), Operation.CREATE, set={"rate-kbps": "777"})
    hand_edit(inventory, "pe1", [extra])
    run("device", "sync-from", "pe1")
    assert states(run("device", "check-sync", "--all")) == dict.fromkeys(ROUTERS, "in-sync")
    run("service", "delete", "acme-corp")
    left = harness.running()["pe1"]
    assert set(left) == {"policy[cir-777k]"}  # adopted: not the services' to remove
    hand_edit(inventory, "pe1", [Edit(extra.node, Operation.DELETE)])
