"""End to end on the lab: outages collected from real agents become incidents, MTTR,
availability, violations, alarms and credits of the services on the router.

Services are bound to routers through the SLA store directly (service id,
customer, template, accesses); the controller's apply will do it through
:func:`controller.sla.orders.bind_service`.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from controller.collector import Collector
from controller.collector_config import CollectorConfig, MetricGroup
from controller.sla import alarms, live
from controller.sla.metrics import Metric
from controller.store import Store, open_store
from controller.store.availability import AvailabilityRepository, EventKind
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding
from lab import api
from lab.agents import Agent
from lab.state import LabState
from southbound.inventory import load_inventory

pytestmark = pytest.mark.lab
US = 1_000_000
# Tight enough to be breached by a few seconds of outage: one-minute intervals,
# any loss makes an interval unavailable, MTTR under 60 ms.
TIGHT = {
    "name": "tight",
    "objectives": {"availability-percent": "99.99", "mttr-minutes": "0.001"},
    "availability": {"interval-minutes": 1, "loss-threshold": "0"},
    "credits": {
        "credit": [
            {"metric": "availability-percent", "credit-percent": "20"},
            {"metric": "mttr-minutes", "credit-percent": "10"},
        ]
    },
}


def netns(namespace: str, *argv: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, *argv], check=True, capture_output=True)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'sla.db'}")


def _bind(store: Store, since_us: int) -> None:
    with store.session() as session:
        repo = SlaRepository(session)
        repo.put_template("tight", TIGHT)
        for service, device in (("vpn1", "pe1"), ("vpn2", "pe2"), ("vpn3", "pe3")):
            repo.bind(
                Binding(
                    service_id=service,
                    customer="acme",
                    template="tight",
                    since_us=since_us,
                    accesses=(Access(site=f"{service}-a", device=device, port="eth1"),),
                )
            )


def _collect_outages(lab: LabState, store: Store) -> None:
    """Stop pe1's snmpd and take pe2 eth1's peer down for a few seconds, polling around it."""
    inventory = load_inventory(lab.inventory)
    config = CollectorConfig(intervals={MetricGroup.IF_MIB: 10.0}, snmp_timeout=0.5, snmp_retries=0)
    collector = Collector(
        inventory=inventory, store=store, config=config, devices=["pe1", "pe2", "pe3"]
    )
    ce2a = f"{lab.name}-ce2a"

    async def scenario() -> None:
        await collector.run_once()  # everything up
        await asyncio.to_thread(api.stop_agent, lab.name, "pe1", Agent.SNMP)
        await asyncio.to_thread(netns, ce2a, "ip", "link", "set", "eth0", "down")
        try:
            await asyncio.sleep(4)  # snmpd caches ifOperStatus for about 3 s
            await collector.run_once()  # pe1 unreachable, pe2 eth1 down
            await asyncio.sleep(3)
        finally:
            await asyncio.to_thread(api.start_agent, lab.name, "pe1", Agent.SNMP)
            await asyncio.to_thread(netns, ce2a, "ip", "link", "set", "eth0", "up")
        await asyncio.sleep(4)
        await collector.run_once()  # both restored
        await collector.stop()

    asyncio.run(scenario())


def test_outages_flow_into_incidents_availability_alarms_and_credits(
    lab: LabState, store: Store
) -> None:
    start_us = int(time.time() * US)
    _bind(store, start_us)
    _collect_outages(lab, store)
    now_us = int(time.time() * US)
    events = AvailabilityRepository(store).events(since_us=start_us)
    kinds = {(e.device, e.interface, e.kind) for e in events if e.ended_us is not None}
    assert ("pe1", "", EventKind.DEVICE_UNREACHABLE) in kinds
    assert ("pe2", "eth1", EventKind.INTERFACE_DOWN) in kinds

    outcomes = {
        o.binding.service_id: o
        for o in live.run(
            store,
            now_us=now_us,
            config=live.LiveConfig(outage_step_us=US // 2, rolling=timedelta(minutes=10)),
        )
    }
    with store.session() as session:
        repo = SlaRepository(session)
        found = {s: repo.incidents(service_id=s) for s in ("vpn1", "vpn2", "vpn3")}
        raised = {(a.resource, a.qualifier, a.severity) for a in repo.alarms(active_only=True)}
    for service in ("vpn1", "vpn2"):
        [incident] = found[service]
        assert incident.cleared_us is not None and incident.cleared_us > incident.opened_us
        report = outcomes[service].period
        assert report is not None
        mttr = report.metrics[Metric.MTTR_MINUTES]
        assert mttr is not None
        assert mttr * 60 * US == incident.cleared_us - incident.opened_us
        availability = report.metrics[Metric.AVAILABILITY_PERCENT]
        assert availability is not None and availability < 100
        violated = {v.metric for v in report.compliance.violations}
        assert violated == {Metric.AVAILABILITY_PERCENT, Metric.MTTR_MINUTES}
        assert report.compliance.credit_percent == 30
        resource = alarms.service_resource(service)
        assert (resource, "availability-percent", "major") in raised
        assert (resource, "mttr-minutes", "major") in raised
        assert outcomes[service].health_score == 0
    assert found["vpn3"] == []
    untouched = outcomes["vpn3"].period
    assert untouched is not None
    assert untouched.metrics[Metric.AVAILABILITY_PERCENT] == 100
    assert not any(r == alarms.service_resource("vpn3") for r, _, _ in raised)
