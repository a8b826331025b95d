"""The collector: polls every device's operational state on a schedule.

An asyncio component, meant to run inside another asyncio program (the CLI's
``netsla collect``, later a server)::

    collector = Collector(inventory=inventory, store=store)
    await collector.start()      # one task per device and metric group
    ...
    await collector.stop()       # cancels the polls, writes what is pending

or one round with :meth:`Collector.run_once`.

Metric groups: ``if-mib`` (IF-MIB over SNMP, RFC 2863), ``probes``
(DISMAN-PING-MIB over SNMP, RFC 4560) and ``netconf-state`` (NETCONF
``<get>``, RFC 6241 section 7.7, of ietf-interfaces state, RFC 8343, and of
netsla-router's ``/nr:native-state`` probe results through a
:class:`StateReader`).  Probe figures from either protocol become the same
series (object ``owner/test``) apart from their source.

- Each metric group (:class:`MetricGroup`) has its own interval; each device
  and group has its own task, so a slow or dead device only ever delays
  itself.  A semaphore bounds the polls in flight over all devices, and
  every poll has a deadline.
- Failures are counted per device and group, in memory (:meth:`statuses`),
  in the store (``netsla collector status``) and in Prometheus metrics.
- Samples, poll records and availability events are written by one writer
  in batches (one transaction per flush) off the event loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from controller.availability import Action, AvailabilityTracker, EventChange
from controller.collector_config import (
    CollectorConfig,
    MetricGroup,
    PollResult,
    StateReader,
)
from controller.collector_metrics import CollectorMetrics
from controller.probe_history import HistoryCursor
from controller.probe_reader import ProbeReader
from controller.sampling import Sampler, Source
from controller.store import Store
from controller.store.availability import AvailabilityRepository, PollRecord
from controller.store.probes import ProbePacket, ProbePacketRepository
from controller.store.telemetry import Sample, TelemetryRepository
from southbound import oids
from southbound.errors import SouthboundError
from southbound.inventory import Inventory
from southbound.snmp import SnmpPoller
from southbound.snmp_endpoint import SnmpEndpoint, endpoint_for
from southbound.snmp_tables import (
    interfaces_from_if_mib,
)

log = logging.getLogger(__name__)
US = 1_000_000


@dataclass
class _Pending:
    samples: list[Sample] = field(default_factory=list)
    polls: list[PollRecord] = field(default_factory=list)
    events: list[EventChange] = field(default_factory=list)
    packets: list[ProbePacket] = field(default_factory=list)


class Collector:
    """Polls the inventory's devices; see the module's documentation."""

    def __init__(
        self,
        *,
        inventory: Inventory,
        store: Store,
        config: CollectorConfig | None = None,
        metrics: CollectorMetrics | None = None,
        devices: Iterable[str] | None = None,
        netconf: StateReader | None = None,
    ) -> None:
        self.config = config or CollectorConfig()
        self.metrics = metrics or CollectorMetrics()
        self._inventory = inventory
        self._devices = sorted(devices) if devices is not None else sorted(inventory.devices)
        self._netconf = netconf
        self._telemetry = TelemetryRepository(store)
        self._availability = AvailabilityRepository(store)
        self._sampler = Sampler()
        self._packets = ProbePacketRepository(store, self._telemetry)
        self._history = HistoryCursor()
        self._tracker = AvailabilityTracker(failures_to_open=self.config.failures_to_open)
        self._slots = asyncio.Semaphore(self.config.max_in_flight)
        self._pending = _Pending()
        self._flush_lock = asyncio.Lock()
        self._snmp: SnmpPoller | None = None
        self._probe_reader: ProbeReader | None = None
        self._endpoints: dict[str, SnmpEndpoint | str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._last: dict[tuple[str, MetricGroup], PollResult] = {}

    # --- life cycle -------------------------------------------------------

    async def open(self) -> None:
        """Prepare to poll: SNMP engine, events left open and last readings of an earlier run."""
        if self._snmp is not None:
            return
        self._snmp = SnmpPoller()
        self._probe_reader = ProbeReader(
            snmp=self._snmp, history=self._history, max_repetitions=self.config.max_repetitions
        )
        open_events = await asyncio.to_thread(self._availability.events, open_only=True)
        self._tracker.seed((e.device, e.interface, e.kind) for e in open_events)
        latest = await asyncio.to_thread(
            self._telemetry.latest, devices=self._devices, source=Source.SNMP
        )
        self._sampler.resume(latest)

    async def start(self) -> None:
        """Start one polling task per device and group, the writer and the maintenance."""
        await self.open()
        for group, interval in self.config.intervals.items():
            devices = [d for d in self._devices if self._supports(d, group)]
            for position, device in enumerate(devices):
                offset = interval * position / max(len(devices), 1)
                self._spawn(self._poll_loop(device, group, interval, offset))
        self._spawn(self._writer_loop())
        self._spawn(self._maintenance_loop())

    async def stop(self) -> None:
        """Cancel every task, write what is pending, close the sessions."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()
        if self._snmp is not None:
            snmp, self._snmp = self._snmp, None
            await snmp.close()
        if self._netconf is not None:
            await self._netconf.close()

    async def run_once(self) -> list[PollResult]:
        """Poll every device and group once (bounded concurrency) and write the results."""
        await self.open()
        jobs = [
            self.poll(device, group)
            for device in self._devices
            for group in self.config.intervals
            if self._supports(device, group)
        ]
        results = list(await asyncio.gather(*jobs))
        await self.flush()
        return results

    def statuses(self) -> list[PollResult]:
        """The last poll of every device and group, in memory."""
        return [self._last[key] for key in sorted(self._last)]

    def _spawn(self, coroutine: Any) -> None:
        self._tasks.append(asyncio.create_task(coroutine))

    def _supports(self, device: str, group: MetricGroup) -> bool:
        if group is MetricGroup.NETCONF_STATE:
            return self._netconf is not None
        return self._inventory.devices[device].snmp is not None

    def _heartbeat(self, device: str) -> MetricGroup:
        if self._inventory.devices[device].snmp is not None:
            return MetricGroup.IF_MIB
        return MetricGroup.NETCONF_STATE

    # --- polling ----------------------------------------------------------

    async def _poll_loop(
        self, device: str, group: MetricGroup, interval: float, offset: float
    ) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time() + offset
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            await self.poll(device, group)
            next_at += interval
            if next_at < loop.time():  # overran: skip the missed rounds
                next_at = loop.time() + interval

    async def poll(self, device: str, group: MetricGroup) -> PollResult:
        """One poll of one group of one device; never raises for the device's faults."""
        async with self._slots:
            self.metrics.in_flight.inc()
            started, clock = time.time(), time.perf_counter()
            samples: list[Sample] = []
            changes: list[EventChange] = []
            packets: list[ProbePacket] = []
            error = None
            try:
                samples, changes, packets = await asyncio.wait_for(
                    self._fetch(device, group), timeout=self.config.poll_deadline
                )
            except SouthboundError as exc:
                error = str(exc)
            except TimeoutError:
                error = f"{device}: no complete answer within {self.config.poll_deadline:g} s"
            except Exception as exc:  # a bug must not stop the other devices' polls
                log.exception("poll of %s %s failed", device, group)
                error = f"{device}: internal error: {exc!r}"
            finally:
                self.metrics.in_flight.dec()
        duration = time.perf_counter() - clock
        at_us = int(started * US)
        if group is self._heartbeat(device):
            changes = self._tracker.poll(device, at_us=at_us, error=error) + changes
            self.metrics.device_up.labels(device=device).set(0 if error else 1)
        result = PollResult(
            device=device,
            group=group,
            at_us=at_us,
            duration_ms=round(duration * 1000),
            samples=len(samples) + len(packets),
            error=error,
        )
        self._pending.packets.extend(packets)
        self._record(result, samples, changes, duration)
        return result

    def _record(
        self, result: PollResult, samples: list[Sample], changes: list[EventChange], seconds: float
    ) -> None:
        self._last[(result.device, result.group)] = result
        outcome = "ok" if result.error is None else "error"
        self.metrics.polls.labels(device=result.device, group=result.group, outcome=outcome).inc()
        self.metrics.poll_seconds.labels(group=result.group).observe(seconds)
        self._pending.samples.extend(samples)
        self._pending.events.extend(changes)
        self._pending.polls.append(
            PollRecord(
                device=result.device,
                group=str(result.group),
                at_us=result.at_us,
                duration_ms=result.duration_ms,
                samples=result.samples,
                error=result.error,
            )
        )

    async def _fetch(
        self, device: str, group: MetricGroup
    ) -> tuple[list[Sample], list[EventChange], list[ProbePacket]]:
        if group is MetricGroup.NETCONF_STATE:
            return await self._netconf_state(device), [], []
        if group is MetricGroup.PROBES:
            samples, packets = await self._probes(device)
            return samples, [], packets
        samples, changes = await self._if_mib(device)
        return samples, changes, []

    async def _netconf_state(self, device: str) -> list[Sample]:
        """ietf-interfaces state, then the native probe state, over the device's one session.

        Either ``<get>`` failing fails the group's poll of this device (its
        samples of the round are dropped); other devices are not affected.
        """
        assert self._netconf is not None
        states = await self._netconf.interfaces(device)
        at_us = int(time.time() * US)
        samples = self._sampler.interfaces(
            device=device, source=Source.NETCONF, states=states, at_us=at_us
        )
        probes = await self._netconf.native_probes(device)
        at_us = int(time.time() * US)
        return samples + Sampler.probes(
            device=device, source=Source.NETCONF, results=probes, at_us=at_us
        )

    async def _probes(self, device: str) -> tuple[list[Sample], list[ProbePacket]]:
        """pingResultsTable as gauges; pingProbeHistoryTable rows not taken yet as packets."""
        assert self._probe_reader is not None
        return await self._probe_reader.poll(device, self._endpoint(device))

    async def _if_mib(self, device: str) -> tuple[list[Sample], list[EventChange]]:
        endpoint = self._endpoint(device)
        assert self._snmp is not None
        walk = await self._snmp.walk(
            endpoint, oids.IF_POLL_COLUMNS, max_repetitions=self.config.max_repetitions
        )
        at_us = int(walk.received_at * US)
        states = interfaces_from_if_mib(walk.columns)
        samples = self._sampler.interfaces(
            device=device, source=Source.SNMP, states=states, at_us=at_us, uptime=walk.uptime
        )
        if walk.uptime is not None:
            samples.append(
                Sampler.uptime(device=device, source=Source.SNMP, uptime=walk.uptime, at_us=at_us)
            )
        changes = self._tracker.interfaces(device, states, at_us=at_us, uptime=walk.uptime)
        return samples, changes

    def _endpoint(self, device: str) -> SnmpEndpoint:
        endpoint = self._endpoints.get(device)
        if endpoint is None:
            try:
                endpoint = endpoint_for(
                    self._inventory.devices[device],
                    self._inventory,
                    version=self.config.snmp_version,
                    timeout=self.config.snmp_timeout,
                    retries=self.config.snmp_retries,
                )
            except SouthboundError as exc:
                endpoint = f"{device}: {exc}"
            self._endpoints[device] = endpoint
        if isinstance(endpoint, str):
            raise SouthboundError(endpoint)
        return endpoint

    # --- writing ----------------------------------------------------------

    async def flush(self) -> None:
        """Write pending events, samples and poll records (one batch, off the loop)."""
        async with self._flush_lock:
            batch, self._pending = self._pending, _Pending()
            if batch.samples or batch.polls or batch.events or batch.packets:
                await asyncio.to_thread(self._write, batch)

    def _write(self, batch: _Pending) -> None:
        try:
            for change in batch.events:
                if change.action is Action.OPEN:
                    self._availability.open_event(
                        device=change.device,
                        interface=change.interface,
                        kind=change.kind,
                        reason=change.reason,
                        started_us=change.at_us,
                    )
                else:
                    self._availability.close_open(
                        device=change.device,
                        interface=change.interface,
                        kind=change.kind,
                        ended_us=change.at_us,
                    )
            for start in range(0, len(batch.samples), self.config.batch_size):
                chunk = batch.samples[start : start + self.config.batch_size]
                self.metrics.samples.inc(self._telemetry.write_samples(chunk))
            self._packets.write(batch.packets)
            self._availability.record_polls(batch.polls)
        except Exception:
            self.metrics.store_errors.inc()
            log.exception("writing a batch of %d samples failed", len(batch.samples))

    async def _writer_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.flush_interval)
            await self.flush()

    async def _maintenance_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.maintenance_interval)
            await asyncio.to_thread(self.maintain, now_us=int(time.time() * US))

    def maintain(self, *, now_us: int) -> None:
        """Roll raw samples up into 5-minute buckets and apply retention."""
        policy = self.config.retention
        grace = int(max(60.0, 10 * self.config.flush_interval) * US)
        try:
            self._telemetry.roll_up(now_us=now_us, policy=policy, grace_us=grace)
            self._telemetry.prune(now_us=now_us, policy=policy)
            self._packets.prune(now_us=now_us)
        except Exception:
            self.metrics.store_errors.inc()
            log.exception("telemetry maintenance failed")
