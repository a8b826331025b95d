"""Fixtures of the lab's tests: NETCONF sessions to lab routers, opened the way netsla does."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ncclient.transport.session
import pytest
from ncclient import manager

from lab.state import LabState, RouterFacts
from southbound.inventory import SshKeySecret, load_inventory
from southbound.netconf import HELLO_SETTLE_SECONDS

# ncclient sends queued requests only every TICK seconds (0.1 by default).
ncclient.transport.session.TICK = 0.001

NATIVE_NS = "urn:netsla:yang:netsla-router"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


def connect(state: LabState, router: RouterFacts, *, ssh_config: Path | None = None) -> Any:
    """A NETCONF session to ``router`` with host-key verification against the lab's known_hosts."""
    inventory = load_inventory(state.inventory)
    device = inventory.devices[router.name]
    secret = inventory.secret(device.netconf.credential)
    assert isinstance(secret, SshKeySecret)
    session = manager.connect(
        host=device.netconf.host,
        port=device.netconf.port,
        username=device.netconf.username,
        key_filename=str(secret.private_key_file),
        hostkey_verify=True,
        ssh_config=str(ssh_config or state.ssh_config),
        allow_agent=False,
        look_for_keys=False,
        timeout=10,
    )
    time.sleep(HELLO_SETTLE_SECONDS.get(device.platform, 0.0))  # the router's hello quirk
    return session


def commit_config(state: LabState, router: RouterFacts, config: Any) -> None:
    """Edit ``router``'s candidate with ``config`` and commit it, in a session of its own."""
    session = connect(state, router)
    try:
        session.edit_config(target="candidate", config=config)
        session.commit()
    finally:
        session.close_session()


@pytest.fixture
def netconf() -> Callable[..., Any]:
    """``netconf(state, router, ssh_config=None)`` opens a verified NETCONF session."""
    return connect
