"""Session fixtures shared by every test package.

``lab``: a running lab of the default topology (three PE routers with real
netconfd, sshd and snmpd, six CE hosts), brought up once per test session and
removed at its end.  Its name comes from ``NETSLA_TEST_LAB`` (default
``nstest``) and its published ports from ``NETSLA_TEST_PORT_BASE`` (default:
derived from the name), so several people can run the suite at once.  The
fixture yields a :class:`lab.state.LabState` (inventory path, known_hosts,
ssh_config, secrets, and per-router facts: namespace, NETCONF and SNMP ports).
It skips when not run as root.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from lab import api
from lab.state import LabState
from tests.native import ROOT, compiled_extension, compiled_modules

LOG_TAIL_LINES = 40


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled module older than its source: its old code would run."""
    stale = [
        str(source.relative_to(ROOT))
        for source in compiled_modules()
        if (built := compiled_extension(source)) is not None
        and built.stat().st_mtime < source.stat().st_mtime
    ]
    if stale:
        raise pytest.UsageError(
            "compiled modules older than their sources (run scripts/build-native): "
            + ", ".join(stale)
        )


def lab_name_for_tests() -> str:
    return os.environ.get("NETSLA_TEST_LAB", "nstest")


def port_base_for_tests() -> int | None:
    value = os.environ.get("NETSLA_TEST_PORT_BASE")
    return int(value) if value else None


@pytest.fixture(scope="session")
def lab() -> Iterator[LabState]:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces and agents)")
    name = lab_name_for_tests()
    state = api.up(None, name=name, port_base=port_base_for_tests())
    try:
        yield state
    finally:
        _show_dead_agents(state)
        api.down(name)


def _show_dead_agents(state: LabState) -> None:
    """Print the log tail of each agent found dead at the end (the lab's files go with it)."""
    for router, daemon, log in api.stopped_daemons(state.name):
        try:
            tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        except OSError as exc:
            tail = [f"(no log: {exc})"]
        print(f"\n{daemon} of {router} is not running; its log ends:", file=sys.__stderr__)
        print("\n".join(tail), file=sys.__stderr__)
