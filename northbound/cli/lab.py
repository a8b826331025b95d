"""``netsla lab``: bring the lab of virtual routers up and down, inspect it, inject faults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from lab import api
from lab.agents import Agent
from northbound.cli.output import emit, format_option

DEFAULT_LAB = "netsla"

name_option = click.option(
    "--name",
    "name",
    default=None,
    help="Lab name (namespaces are NAME-NODE); default: the topology's, else 'netsla'.",
)


def _name(name: str | None) -> str:
    return name or DEFAULT_LAB


@click.group(name="lab")
def group() -> None:
    """Virtual PE routers and CE hosts in network namespaces."""


@group.command()
@click.option(
    "--topology",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Topology file (YAML); default: the shipped three-PE triangle.",
)
@name_option
@click.option(
    "--port-base",
    type=int,
    default=None,
    help=(
        "First published 127.0.0.1 port (default: from the lab name, outside the "
        "kernel's ephemeral ports)."
    ),
)
@format_option
def up(topology: Path | None, name: str | None, port_base: int | None, output_format: str) -> None:
    """Bring a lab up (or leave a healthy one alone, or repair a broken one)."""
    started = time.monotonic()
    state = api.up(topology, name=name, port_base=port_base)
    elapsed = time.monotonic() - started
    report = {
        "name": state.name,
        "seconds": round(elapsed, 2),
        "inventory": str(state.inventory),
        "known_hosts": str(state.known_hosts),
        "ssh_config": str(state.ssh_config),
        "secrets": str(state.secrets),
        "routers": [
            {"name": r.name, "netconf_port": r.netconf_port, "snmp_port": r.snmp_port}
            for r in state.routers
        ],
        "hosts": list(state.hosts),
    }
    emit(
        report,
        output_format,
        text=lambda r: (
            f"lab {r['name']} up in {r['seconds']} s: {len(r['routers'])} routers, "
            f"{len(r['hosts'])} hosts\ninventory {r['inventory']}"
        ),
    )


@group.command()
@name_option
@format_option
def down(name: str | None, output_format: str) -> None:
    """Remove a lab: processes, namespaces and files (nothing to remove is fine)."""
    lab = _name(name)
    api.down(lab)
    emit({"name": lab, "down": True}, output_format, text=lambda r: f"lab {r['name']} down")


def _status_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    def yes(flag: bool) -> str:
        return "up" if flag else "DOWN"

    return [
        [
            i["name"],
            i["namespace"],
            f"{i['netconf']['host']}:{i['netconf']['port']}",
            yes(i["netconf"]["answers"]),
            f"{i['snmp']['host']}:{i['snmp']['port']}",
            yes(i["snmp"]["answers"]),
            " ".join(f"{k}={'up' if v else 'DOWN'}" for k, v in i["agents"].items()),
        ]
        for i in items
    ]


@group.command()
@name_option
@format_option
def status(name: str | None, output_format: str) -> None:
    """Each router: published NETCONF and SNMP ports, its agents, whether they answer."""
    items = [s.to_dict() for s in api.status(_name(name))]
    emit(
        items,
        output_format,
        headers=["router", "namespace", "netconf", "", "snmp", "", "agents"],
        rows=_status_rows,
    )


@group.command(name="stop-agent")
@click.argument("router")
@click.argument("agent", type=click.Choice([a.value for a in Agent]))
@name_option
def stop_agent(router: str, agent: str, name: str | None) -> None:
    """Kill one router's agent (netconf: netconfd; snmp: snmpd)."""
    api.stop_agent(_name(name), router, Agent(agent))


@group.command(name="start-agent")
@click.argument("router")
@click.argument("agent", type=click.Choice([a.value for a in Agent]))
@name_option
def start_agent(router: str, agent: str, name: str | None) -> None:
    """Start one router's agent again and wait until it is ready."""
    api.start_agent(_name(name), router, Agent(agent))


@group.command()
@click.argument("link", required=False)
@click.option("--delay-ms", type=float, default=0.0, help="Delay added in each direction.")
@click.option("--jitter-ms", type=float, default=0.0, help="Delay varies by +- this much.")
@click.option("--loss-percent", type=float, default=0.0, help="Frames dropped in each direction.")
@click.option("--clear", is_flag=True, help="Remove the impairment.")
@name_option
@format_option
def impair(
    *,
    link: str | None,
    delay_ms: float,
    jitter_ms: float,
    loss_percent: float,
    clear: bool,
    name: str | None,
    output_format: str,
) -> None:
    """Impair a core link (both directions), clear it, or list impairments (no LINK)."""
    lab = _name(name)
    if link is not None:
        api.impair(
            lab,
            link,
            delay_ms=delay_ms,
            jitter_ms=jitter_ms,
            loss_percent=loss_percent,
            clear=clear,
        )
    current = api.impairments_of(lab)
    items = [
        {
            "link": key,
            "delay_ms": value.delay_ms if value else 0.0,
            "jitter_ms": value.jitter_ms if value else 0.0,
            "loss_percent": value.loss_percent if value else 0.0,
            "impaired": value is not None,
        }
        for key, value in current.items()
        if link is None or key == link
    ]
    emit(
        items,
        output_format,
        headers=["link", "delay ms", "jitter ms", "loss %"],
        rows=lambda rows: [
            [r["link"], r["delay_ms"], r["jitter_ms"], r["loss_percent"]] for r in rows
        ],
    )


@group.command()
@name_option
@format_option
def inventory(name: str | None, output_format: str) -> None:
    """Where the lab's inventory, known_hosts, ssh_config and secrets files are."""
    state = api.require_state(_name(name))
    files = {
        "name": state.name,
        "inventory": str(state.inventory),
        "known_hosts": str(state.known_hosts),
        "ssh_config": str(state.ssh_config),
        "secrets": str(state.secrets),
    }
    emit(files, output_format, text=lambda f: f["inventory"])
