"""``netsla collect`` and ``netsla collector status``: operational-state collection."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
from pathlib import Path
from typing import Any

import click
from prometheus_client import start_http_server

from controller.collector import Collector
from controller.collector_config import CollectorConfig, MetricGroup, PollResult
from controller.store import open_store
from controller.store.availability import (
    AvailabilityEvent,
    AvailabilityRepository,
    CollectorStatus,
)
from northbound.cli.options import chosen_inventory, database_option, inventory_option
from northbound.cli.output import (
    EXIT_BAD_INPUT,
    OutputFormat,
    emit,
    emit_json,
    fail,
    format_option,
    render_table,
)
from southbound.inventory import load_inventory
from southbound.netconf_state import NetconfStateReader
from southbound.snmp_endpoint import SnmpVersion


def _intervals(values: tuple[str, ...], no_netconf: bool) -> dict[MetricGroup, float]:
    intervals = dict(CollectorConfig().intervals)
    for value in values:
        name, _, seconds = value.partition("=")
        try:
            group = MetricGroup(name)
            intervals[group] = float(seconds)
        except ValueError:
            groups = ", ".join(g.value for g in MetricGroup)
            fail(
                f"--interval {value!r}: expected GROUP=SECONDS, GROUP one of {groups}",
                status=EXIT_BAD_INPUT,
            )
        if intervals[group] <= 0:
            del intervals[group]  # 0 turns a group off
    if no_netconf:
        intervals.pop(MetricGroup.NETCONF_STATE, None)
    return intervals


def _collector(
    *,
    inventory_path: Path,
    database: str | None,
    intervals: dict[MetricGroup, float],
    snmp_version: str,
    max_in_flight: int,
    devices: tuple[str, ...],
) -> Collector:
    inventory = load_inventory(inventory_path)
    unknown = sorted(set(devices) - inventory.devices.keys())
    if unknown:
        fail(f"no such device in {inventory_path}: {', '.join(unknown)}", status=EXIT_BAD_INPUT)
    config = CollectorConfig(
        intervals=intervals, snmp_version=SnmpVersion(snmp_version), max_in_flight=max_in_flight
    )
    netconf = NetconfStateReader(inventory) if MetricGroup.NETCONF_STATE in intervals else None
    return Collector(
        inventory=inventory,
        store=open_store(database),
        config=config,
        devices=devices or None,
        netconf=netconf,
    )


def _report(results: list[PollResult]) -> dict[str, Any]:
    devices: dict[str, dict[str, Any]] = {}
    for result in results:
        entry = devices.setdefault(
            result.device, {"device": result.device, "ok": True, "groups": {}}
        )
        item = result.to_dict()
        del item["device"], item["group"]
        entry["groups"][str(result.group)] = item
        entry["ok"] = entry["ok"] and result.error is None
    return {"devices": list(devices.values())}


def _report_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            device["device"],
            group,
            "ok" if item["ok"] else "FAILED",
            item["samples"],
            item["duration_ms"],
            item["error"] or "",
        ]
        for device in report["devices"]
        for group, item in device["groups"].items()
    ]


async def _run_forever(collector: Collector, duration: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await collector.start()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=duration)
    finally:
        await collector.stop()


async def _run_once(collector: Collector) -> list[PollResult]:
    try:
        return await collector.run_once()
    finally:
        await collector.stop()


@click.command(name="collect")
@click.option("--once", is_flag=True, help="Poll every device once, store, report and exit.")
@inventory_option
@database_option
@click.option(
    "--interval",
    "intervals",
    multiple=True,
    metavar="GROUP=SECONDS",
    help="Polling interval of a metric group (if-mib, probes, netconf-state); 0 turns it off.",
)
@click.option("--no-netconf", is_flag=True, help="Do not poll over NETCONF.")
@click.option(
    "--snmp-version",
    type=click.Choice([v.value for v in SnmpVersion]),
    default=SnmpVersion.AUTO.value,
    show_default=True,
)
@click.option(
    "--max-in-flight",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Polls in progress at once, over all devices.",
)
@click.option("--device", "devices", multiple=True, help="Poll only this device (repeatable).")
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="Serve Prometheus metrics on 127.0.0.1:PORT (continuous mode).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Stop after this many seconds (continuous mode).",
)
@format_option
def collect_command(
    *,
    once: bool,
    inventory_path: Path | None,
    database: str | None,
    intervals: tuple[str, ...],
    no_netconf: bool,
    snmp_version: str,
    max_in_flight: int,
    devices: tuple[str, ...],
    metrics_port: int | None,
    duration: float | None,
    output_format: str,
) -> None:
    """Collect operational state (SNMP, NETCONF) from every device into the store."""
    collector = _collector(
        inventory_path=chosen_inventory(inventory_path),
        database=database,
        intervals=_intervals(intervals, no_netconf),
        snmp_version=snmp_version,
        max_in_flight=max_in_flight,
        devices=devices,
    )
    if not once:
        if metrics_port is not None:
            start_http_server(metrics_port, addr="127.0.0.1", registry=collector.metrics.registry)
        asyncio.run(_run_forever(collector, duration))
        return
    results = asyncio.run(_run_once(collector))
    report = _report(results)
    emit(
        report,
        output_format,
        headers=["DEVICE", "GROUP", "RESULT", "SAMPLES", "MS", "ERROR"],
        rows=_report_rows,
    )
    failed = [r for r in results if r.error is not None]
    if failed:
        fail(f"{len(failed)} of {len(results)} polls failed")


@click.group(name="collector")
def collector_group() -> None:
    """State of the operational-state collector."""


def _time(us: int | None) -> str | None:
    if us is None:
        return None
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).isoformat(timespec="seconds")


def _status_document(status: CollectorStatus) -> dict[str, Any]:
    return {
        "device": status.device,
        "group": status.group,
        "polls": status.polls,
        "failures": status.failures,
        "consecutive_failures": status.consecutive_failures,
        "samples": status.samples,
        "last_success": _time(status.last_success_us),
        "last_attempt": _time(status.last_attempt_us),
        "last_duration_ms": status.last_duration_ms,
        "last_error": status.last_error,
    }


def _event_document(event: AvailabilityEvent) -> dict[str, Any]:
    return {
        "device": event.device,
        "interface": event.interface,
        "kind": str(event.kind),
        "reason": event.reason,
        "since": _time(event.started_us),
    }


def _status_tables(document: dict[str, Any]) -> str:
    """The status document as a table of devices, then one of open events (if any)."""
    text = render_table(
        ["DEVICE", "GROUP", "POLLS", "FAILURES", "IN A ROW", "LAST SUCCESS", "LAST ERROR"],
        [
            [
                s["device"],
                s["group"],
                s["polls"],
                s["failures"],
                s["consecutive_failures"],
                s["last_success"] or "never",
                s["last_error"] or "",
            ]
            for s in document["devices"]
        ],
    )
    events = document["open_events"]
    if not events:
        return text
    return (
        text
        + "\n\nOpen availability events:\n"
        + render_table(
            ["DEVICE", "INTERFACE", "KIND", "SINCE", "REASON"],
            [
                [e["device"], e["interface"] or "-", e["kind"], e["since"], e["reason"]]
                for e in events
            ],
        )
    )


@collector_group.command(name="status")
@database_option
@format_option
def status_command(database: str | None, output_format: str) -> None:
    """Per device and metric group: polls, failures, last error; open availability events."""
    repo = AvailabilityRepository(open_store(database))
    document = {
        "devices": [_status_document(s) for s in repo.statuses()],
        "open_events": [_event_document(e) for e in repo.events(open_only=True)],
    }
    if output_format == OutputFormat.JSON:
        emit_json(document)
        return
    click.echo(_status_tables(document))
