"""On the lab: closing the SNMP poller while a reply is on its way raises nothing in the loop.

A reply read from a socket reaches pysnmp's dispatcher through a callback
the event loop runs on its next pass; a poller closed in between used to
leave that callback a dispatcher without transports, and the loop printed
its CarrierError (seen at the end of ``netsla demo``, whose collector stops
with polls in flight).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from lab.state import LabState
from southbound import oids
from southbound.inventory import load_inventory
from southbound.snmp import SnmpPoller
from southbound.snmp_endpoint import endpoint_for

pytestmark = pytest.mark.lab


def test_a_reply_queued_when_the_poller_closes_is_dispatched_quietly(lab: LabState) -> None:
    inventory = load_inventory(lab.inventory)
    endpoint = endpoint_for(inventory.devices["pe1"], inventory)
    raised: list[dict[str, Any]] = []

    async def run() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: raised.append(ctx))
        poller = SnmpPoller()
        await poller.get(endpoint, [oids.SYS_UP_TIME])  # engine discovery done, sockets open
        polling = asyncio.create_task(poller.get(endpoint, [oids.SYS_UP_TIME]))
        await asyncio.sleep(0)  # the request is sent
        polling.cancel()  # as the collector's stop cancels its polls
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        time.sleep(0.3)  # the loop held: the reply waits in the socket
        await asyncio.sleep(0)
        # This pass reads the reply and queues its dispatch behind this task's next step.
        await asyncio.sleep(0)
        await poller.close()
        for _ in range(3):
            await asyncio.sleep(0)

    asyncio.run(run())
    assert [str(c.get("exception") or c.get("message")) for c in raised] == []
