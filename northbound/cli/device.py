"""``netsla device``: sync-from, check-sync, compare-config, sync-to."""

from __future__ import annotations

from pathlib import Path

import click

from controller.errors import InputError
from northbound.cli.context import (
    Context,
    change_options,
    controller_options,
    open_context,
    run_options,
)
from northbound.cli.output import emit, format_option


def _devices(ctx: Context, names: tuple[str, ...], all_: bool) -> list[str]:
    if all_ or not names:
        return sorted(ctx.inventory.devices)
    unknown = [n for n in names if n not in ctx.inventory.devices]
    if unknown:
        raise InputError(f"not in the inventory: {', '.join(unknown)}")
    return list(names)


@click.group(name="device")
def group() -> None:
    """What the devices hold versus what the controller expects."""


@group.command(name="sync-from")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every device of the inventory.")
@controller_options
@format_option
def sync_from(
    *,
    names: tuple[str, ...],
    all_: bool,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Adopt each device's running config as the expected one."""
    ctx = open_context(database, inventory_path)
    done = ctx.run(lambda: ctx.sync.sync_from(_devices(ctx, names, all_)))
    emit(
        {"synced": done},
        output_format,
        text=lambda d: "\n".join(f"{n}: synced" for n in d["synced"]),
    )


@group.command(name="check-sync")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True)
@controller_options
@format_option
def check_sync(
    *,
    names: tuple[str, ...],
    all_: bool,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """One line per device: in-sync, out-of-sync, unknown or unreachable."""
    ctx = open_context(database, inventory_path)
    statuses = ctx.run(lambda: ctx.sync.check_sync(_devices(ctx, names, all_)))
    data = [{"device": s.device, "state": s.state.value, "detail": s.detail} for s in statuses]
    emit(
        data,
        output_format,
        headers=["DEVICE", "STATE", "DETAIL"],
        rows=lambda d: [[r["device"], r["state"], r["detail"]] for r in d],
    )
    if any(s["state"] != "in-sync" for s in data):
        raise SystemExit(1)


@group.command(name="compare-config")
@click.argument("name")
@controller_options
@format_option
def compare_config(
    *, name: str, database: str | None, inventory_path: Path | None, output_format: str
) -> None:
    """The edits that would bring the device back to the expected config."""
    ctx = open_context(database, inventory_path)
    edits = ctx.run(lambda: ctx.sync.compare_config(_devices(ctx, (name,), False)[0]))
    data = [e.to_json() for e in edits]
    emit(
        data,
        output_format,
        text=lambda d: (
            "in sync"
            if not d
            else "\n".join(
                f"{e['operation']:7} {e['node']} {e.get('set', '')} {e.get('remove', '')}".rstrip()
                for e in d
            )
        ),
    )


@group.command(name="sync-to")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True)
@click.option("--dry-run", is_flag=True)
@change_options
@controller_options
@format_option
def sync_to(
    *,
    names: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    confirm_timeout: int | None,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Push the expected config to the devices (one transaction)."""
    ctx = open_context(database, inventory_path)
    devices = _devices(ctx, names, all_)
    options = run_options(confirm_timeout)
    edits = ctx.run(lambda: ctx.sync.sync_to(devices, dry_run=dry_run, options=options))
    data = {d: [e.to_json() for e in es] for d, es in edits.items()}
    emit(
        data,
        output_format,
        text=lambda d: "\n".join(f"{k}: {len(v)} edit(s)" for k, v in d.items()) or "in sync",
    )
