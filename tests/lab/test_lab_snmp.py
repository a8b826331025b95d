"""The lab's routers serve IF-MIB over SNMPv2c and SNMPv3 authPriv (SHA/AES)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
)

from lab import api
from lab.agents import Agent
from lab.state import LabState, RouterFacts
from southbound.inventory import CommunitySecret, UsmSecret, load_inventory

pytestmark = pytest.mark.lab

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"  # IF-MIB::ifDescr (RFC 2863)


async def _walk(port: int, auth: Any, oid: str) -> list[str]:
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create(("127.0.0.1", port), timeout=1, retries=1)
        values = []
        async for indication, status, _index, binds in bulk_walk_cmd(
            engine, auth, target, ContextData(), 0, 25,
            ObjectType(ObjectIdentity(oid)), lexicographicMode=False, lookupMib=False,
        ):  # fmt: skip
            if indication or status:
                raise RuntimeError(str(indication or status.prettyPrint()))
            values += [str(value) for _name, value in binds]
        return values
    finally:
        engine.close_dispatcher()


def _usm(lab: LabState, *, auth_key: str | None = None) -> UsmUserData:
    inventory = load_inventory(lab.inventory)
    snmp = inventory.devices[lab.routers[0].name].snmp
    assert snmp is not None and snmp.v3_user and snmp.v3_credential
    secret = inventory.secret(snmp.v3_credential)
    assert isinstance(secret, UsmSecret)
    return UsmUserData(
        snmp.v3_user,
        authKey=auth_key or secret.auth_key,
        privKey=secret.priv_key,
        authProtocol=usmHMACSHAAuthProtocol,
        privProtocol=usmAesCfb128Protocol,
    )


def _community(lab: LabState) -> CommunityData:
    inventory = load_inventory(lab.inventory)
    snmp = inventory.devices[lab.routers[0].name].snmp
    assert snmp is not None and snmp.community_ref
    secret = inventory.secret(snmp.community_ref)
    assert isinstance(secret, CommunitySecret)
    return CommunityData(secret.community, mpModel=1)


def _expected_interfaces(lab: LabState, router: RouterFacts) -> set[str]:
    device = load_inventory(lab.inventory).devices[router.name]
    return {"lo"} | {i.name for i in device.interfaces}


def test_ifmib_walk_over_v2c_shows_the_namespace_interfaces(lab: LabState) -> None:
    for router in lab.routers:
        names = asyncio.run(_walk(router.snmp_port, _community(lab), IF_DESCR))
        assert set(names) == _expected_interfaces(lab, router)


def test_ifmib_walk_over_v3_authpriv(lab: LabState) -> None:
    router = lab.routers[1]
    names = asyncio.run(_walk(router.snmp_port, _usm(lab), IF_DESCR))
    assert set(names) == _expected_interfaces(lab, router)


def test_wrong_v3_password_is_refused(lab: LabState) -> None:
    router = lab.routers[0]
    with pytest.raises(RuntimeError, match=r"(?i)digest|auth|timeout|no snmp response"):
        asyncio.run(_walk(router.snmp_port, _usm(lab, auth_key="wrong-password-1"), IF_DESCR))


def test_snmp_agent_stops_and_starts(lab: LabState) -> None:
    router = lab.routers[2]
    api.stop_agent(lab.name, router.name, Agent.SNMP)
    down = {s.name: s for s in api.status(lab.name)}[router.name]
    assert not down.snmp_answers and not down.daemons["snmpd"]
    api.start_agent(lab.name, router.name, Agent.SNMP)
    up = {s.name: s for s in api.status(lab.name)}[router.name]
    assert up.snmp_answers and up.daemons["snmpd"]
