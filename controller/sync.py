"""Sync and drift: does each device hold what the controller expects?

``check-sync`` compares a fingerprint of the running config (read with one
filtered get-config) with the stored one; ``compare-config`` shows the
full diff; ``sync-from`` adopts the device's config as expected;
``sync-to`` pushes the expected config back as one transaction;
``re-deploy`` pushes back only what given services own.  Pushes are
journaled and leased like any transaction (:mod:`controller.execution`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from lxml import etree

from controller.diff import Edit, diff_configs
from controller.errors import ControllerError
from controller.execution import Push, RunOptions, execute, new_unit, open_transaction
from controller.render import platform
from controller.render.tree import Config, Leaves, NodeId, fingerprint
from controller.render.xml import parse_config
from controller.service import UnknownService
from controller.store import Store
from controller.store.footprints import ServiceRepository
from controller.transaction import DeviceDriver
from southbound.errors import SouthboundError
from southbound.netconf import Datastore


class ConfigReader(Protocol):
    async def get_config(
        self, *, source: Datastore, subtree: etree._Element | None = None
    ) -> etree._Element: ...


class SyncState(StrEnum):
    IN_SYNC = "in-sync"
    OUT_OF_SYNC = "out-of-sync"
    UNKNOWN = "unknown"  # never synced
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class SyncStatus:
    device: str
    state: SyncState
    detail: str = ""


class NotSynced(ControllerError):
    """The controller has no expected config for the device yet (run sync-from)."""


async def read_running(device: str, platform_name: str, reader: ConfigReader) -> Config:
    schema = platform(platform_name).schema
    subtree = etree.Element(f"{{{schema.namespace}}}{schema.root}")
    data = await reader.get_config(source=Datastore.RUNNING, subtree=subtree)
    return parse_config(schema, data)


class Sync:
    """Sync operations over a store, the inventory's platforms and device sessions."""

    def __init__(
        self,
        *,
        store: Store,
        platforms: Mapping[str, str],
        reader: Callable[[str], ConfigReader],
        driver: Callable[[str], DeviceDriver],
        command: str = "",
    ) -> None:
        self.store, self.platforms, self.reader, self.driver = store, platforms, reader, driver
        self.command = command

    async def sync_from(self, devices: Sequence[str]) -> list[str]:
        """Adopt each device's running config as the expected one."""
        configs = await asyncio.gather(
            *(read_running(d, self.platforms[d], self.reader(d)) for d in devices)
        )
        with self.store.session() as session:
            repo = ServiceRepository(session)
            for device, config in zip(devices, configs, strict=True):
                repo.replace_device_config(device, self.platforms[device], config)
        return list(devices)

    async def check_sync(self, devices: Sequence[str]) -> list[SyncStatus]:
        return list(await asyncio.gather(*(self._check(d) for d in devices)))

    async def _check(self, device: str) -> SyncStatus:
        with self.store.session() as session:
            row = ServiceRepository(session).device(device)
            expected = None if row is None else row.fingerprint
        if expected is None:
            return SyncStatus(device, SyncState.UNKNOWN, "never synced: run sync-from")
        try:
            running = await read_running(device, self.platforms[device], self.reader(device))
        except SouthboundError as exc:
            return SyncStatus(device, SyncState.UNREACHABLE, str(exc))
        if fingerprint(running) == expected:
            return SyncStatus(device, SyncState.IN_SYNC)
        return SyncStatus(device, SyncState.OUT_OF_SYNC, "running config differs from expected")

    def expected(self, device: str) -> Config:
        with self.store.session() as session:
            repo = ServiceRepository(session)
            if repo.device(device) is None:
                raise NotSynced(f"{device}: never synced; run 'netsla device sync-from {device}'")
            return repo.device_config(device)

    async def compare_config(self, device: str) -> list[Edit]:
        """Edits that would turn the running config into the expected one."""
        expected = self.expected(device)
        running = await read_running(device, self.platforms[device], self.reader(device))
        return diff_configs(running, expected, schema=platform(self.platforms[device]).schema)

    async def sync_to(
        self, devices: Sequence[str], *, dry_run: bool = False, options: RunOptions | None = None
    ) -> dict[str, list[Edit]]:
        """Push the expected config to each device, in one journaled transaction."""
        runnings = await asyncio.gather(
            *(read_running(d, self.platforms[d], self.reader(d)) for d in devices)
        )
        expected = {d: self.expected(d) for d in devices}
        return await self._push(
            dict(zip(devices, runnings, strict=True)), expected, dry_run, options
        )

    async def redeploy(
        self,
        service_ids: Sequence[str],
        *,
        dry_run: bool = False,
        options: RunOptions | None = None,
    ) -> dict[str, list[Edit]]:
        """Put back on the devices what the services own there (hand-made changes undone).

        Only the nodes the services own are compared and repaired; other
        configuration of the devices is left alone (``sync-to`` does all).
        """
        nodes: dict[str, set[NodeId]] = {}
        with self.store.session() as session:
            repo = ServiceRepository(session)
            for service_id in service_ids:
                if repo.service(service_id) is None:
                    raise UnknownService(f"no service {service_id!r}")
                for device, config in repo.footprint(service_id).items():
                    nodes.setdefault(device, set()).update(config)
            expected = {d: repo.device_nodes(d, owned) for d, owned in nodes.items()}
        devices = sorted(nodes)
        runnings = await asyncio.gather(
            *(read_running(d, self.platforms[d], self.reader(d)) for d in devices)
        )
        owned_running = {
            d: {n: v for n, v in running.items() if n in nodes[d]}
            for d, running in zip(devices, runnings, strict=True)
        }
        return await self._push(owned_running, expected, dry_run, options)

    async def _push(
        self,
        running: Mapping[str, Mapping[NodeId, Leaves]],
        expected: Mapping[str, Mapping[NodeId, Leaves]],
        dry_run: bool,
        options: RunOptions | None,
    ) -> dict[str, list[Edit]]:
        pushes: dict[str, Push] = {}
        for device in sorted(running):
            schema = platform(self.platforms[device]).schema
            forward = diff_configs(running[device], expected[device], schema=schema)
            if forward:
                reverse = diff_configs(expected[device], running[device], schema=schema)
                pushes[device] = Push(device, self.platforms[device], forward, reverse)
        if pushes and not dry_run:
            entry = open_transaction(
                new_unit(self.store), command=self.command, pushes=pushes, services={}
            )
            await execute(
                store=self.store, entry=entry, pushes=pushes, driver=self.driver, options=options
            )
        return {d: p.forward for d, p in pushes.items()}
