"""Fixtures of the lab's tests: NETCONF sessions to lab routers, opened the way netsla does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ncclient.transport.session
import pytest
from ncclient import manager

from lab.state import LabState, RouterFacts
from southbound.inventory import SshKeySecret, load_inventory

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
    return manager.connect(
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


@pytest.fixture
def netconf() -> Callable[..., Any]:
    """``netconf(state, router, ssh_config=None)`` opens a verified NETCONF session."""
    return connect
