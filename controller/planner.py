"""Planning a change: services in, per-device edits out (store reads, no device I/O).

For each changed service: allocate its resources, render it per device,
and plan every touched device from the stored footprints (only the nodes
the change touches are read).  The result carries the edit payloads, the
reverse edits, and what to record once the devices have committed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from controller.diff import Edit
from controller.footprint import DevicePlan, plan_device
from controller.jsontext import dumps
from controller.pools import DEFAULT_POOLS, Key, PoolRange, allocate_many, reserve_many
from controller.render import platform, render_service
from controller.render.l3sm import Service
from controller.render.resources import PoolName, ProbeProfile
from controller.render.tree import Config
from controller.render.xml import edit_payload
from controller.store.footprints import LeafTexts, ServiceRepository


@dataclass(slots=True)
class DeviceWork:
    """One device's planned change."""

    device: str
    platform: str
    plan: DevicePlan

    @property
    def edits(self) -> list[Edit]:
        return self.plan.edits

    def payload(self) -> etree._Element:
        return edit_payload(platform(self.platform).schema, self.plan.edits)

    def reverse_payload(self) -> etree._Element:
        return edit_payload(platform(self.platform).schema, self.plan.reverse)


@dataclass(slots=True)
class ChangePlan:
    """Everything one transaction does, planned."""

    before: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # service documents
    after: dict[str, Service | None] = field(default_factory=dict)
    devices: dict[str, DeviceWork] = field(default_factory=dict)
    footprints: dict[str, dict[str, Config]] = field(default_factory=dict)
    stored: dict[str, str] = field(default_factory=dict)  # stored text of ``before``
    # The pool keys each service holds, when the planning left them to be held
    # later in its unit of work (plan_change's ``hold``; see hold_planned).
    holds: dict[str, list[Key]] = field(default_factory=dict)
    _texts: dict[str, str | None] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, DeviceWork]:
        return {d: w for d, w in self.devices.items() if w.edits}

    def after_text(self, service_id: str) -> str | None:
        """The stored text of a service's new document (None: deleted), made once."""
        if service_id not in self._texts:
            service = self.after[service_id]
            self._texts[service_id] = (
                None if service is None else dumps(service.document, sort_keys=True)
            )
        return self._texts[service_id]

    def services_json(self) -> dict[str, tuple[str | None, str | None]]:
        """Each service's document before and after, as stored text (None: absent)."""
        return {s: (self.stored.get(s), self.after_text(s)) for s in self.after}


def plan_change(
    repo: ServiceRepository,
    changes: Mapping[str, Service | None],
    *,
    platforms: Mapping[str, str],
    sla: Mapping[str, ProbeProfile],
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
    hold: bool = True,
) -> ChangePlan:
    """Plan putting each service in ``changes`` in its new state (None: deleted).

    Allocations are made (or released) in ``repo``'s session; the caller
    commits them or undoes them with :func:`restore_holdings`.  Without
    ``hold`` the services' holds of their values are not written yet: the
    caller writes them (:func:`hold_planned`) in the same unit of work
    before it commits (a dry run never does), so that the planning, which
    the devices wait for, does not.
    """
    plan = ChangePlan()
    ids = sorted(changes)
    rows = repo.services_by_id(ids)
    old = repo.footprints(ids)
    gone = [s for s in ids if changes[s] is None]
    repo.release_many(gone)
    kept = [service for s in ids if (service := changes[s]) is not None]
    if hold:
        resources = allocate_many(repo, kept, pools=pools)
    else:
        resources, plan.holds = reserve_many(repo, kept, pools=pools)
    for service_id in ids:
        row = rows.get(service_id)
        plan.before[service_id] = None if row is None else _loads(row.document)
        if row is not None:
            plan.stored[service_id] = row.document
        plan.after[service_id] = service = changes[service_id]
        old.setdefault(service_id, {})
        plan.footprints[service_id] = (
            {}
            if service is None
            else render_service(
                service, platforms=platforms, resources=resources[service_id], sla=sla
            )
        )
    devices = {d for f in (*old.values(), *plan.footprints.values()) for d in f}
    for device in sorted(devices):
        old_dev = {s: old[s].get(device, {}) for s in changes}
        new_dev = {s: plan.footprints[s].get(device, {}) for s in changes}
        touched = {n for cfg in (*old_dev.values(), *new_dev.values()) for n in cfg}
        name = platforms.get(device) or _stored_platform(repo, device)
        work = plan_device(
            device=device,
            schema=platform(name).schema,
            current=repo.device_nodes(device, touched),
            shares=repo.shares(device, touched),
            old=old_dev,
            new=new_dev,
        )
        plan.devices[device] = DeviceWork(device=device, platform=name, plan=work)
    return plan


def _stored_platform(repo: ServiceRepository, device: str) -> str:
    row = repo.device(device)
    if row is None:
        raise KeyError(device)
    return row.platform


def _loads(text: str) -> dict[str, Any]:
    return dict(json.loads(text))


def record(repo: ServiceRepository, plan: ChangePlan, *, tx: int | None) -> None:
    """After the devices committed: store footprints, device configs, services."""
    for device, work in plan.devices.items():
        texts = LeafTexts()  # a node's state and its contributions, made into JSON once
        repo.set_device_nodes(device, work.plan.before, work.plan.after, texts=texts)
        repo.set_claims(device, work.plan.claims, texts=texts)
    repo.drop_services([s for s, service in plan.after.items() if service is None])
    kept = {
        s: (text, sorted(plan.footprints[s]))
        for s in plan.after
        if (text := plan.after_text(s)) is not None
    }
    repo.put_services(kept, tx)


def hold_planned(repo: ServiceRepository, plan: ChangePlan) -> None:
    """Write the holds a planning without ``hold`` left to be written (a no-op otherwise)."""
    repo.hold_many(plan.holds)


def restore_holdings(
    repo: ServiceRepository,
    plan: ChangePlan,
    previous: Mapping[str, Service | None],
    *,
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
) -> None:
    """After a failed transaction: hold again exactly what the old services held."""
    repo.release_many([s for s in plan.after if previous.get(s) is None])
    kept = [service for s in plan.after if (service := previous.get(s)) is not None]
    allocate_many(repo, kept, pools=pools)
