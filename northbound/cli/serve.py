"""``netsla serve``: the gRPC northbound, the collector and live SLA rounds in one process.

TLS always: ``--tls-cert``/``--tls-key``, or a CA and a server certificate
for localhost that the server makes in its state folder on first start
(:mod:`northbound.grpc.tls`); clients trust that CA.  Stops cleanly on
SIGTERM and SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from controller.store import data_folder
from northbound.cli.context import Context, controller_options, open_context
from northbound.cli.output import EXIT_BAD_INPUT, fail

if TYPE_CHECKING:  # grpc is imported when the server starts, not for `netsla --help`
    from northbound.grpc.server import ServeConfig
    from northbound.grpc.tls import TlsFiles


def default_state_dir() -> Path:
    return data_folder() / "serve"


def _tls(cert: Path | None, key: Path | None, state_dir: Path) -> TlsFiles:
    from northbound.grpc.tls import TlsFiles, local_tls

    if (cert is None) != (key is None):
        fail("give both --tls-cert and --tls-key, or neither", status=EXIT_BAD_INPUT)
    if cert is not None and key is not None:
        return TlsFiles(cert=cert, key=key, ca=None)
    files = local_tls(state_dir / "tls")
    click.echo(f"netsla: TLS with netsla's own CA: clients trust {files.ca}", err=True)
    return files


async def _serve(ctx: Context, config: ServeConfig, collect: bool) -> None:
    from controller.collector import Collector
    from northbound.grpc.server import ApiServer
    from southbound.netconf_state import NetconfStateReader

    collector = None
    if collect:
        netconf = NetconfStateReader(ctx.inventory)
        collector = Collector(inventory=ctx.inventory, store=ctx.store, netconf=netconf)
    server = ApiServer(controller=ctx.controller, config=config, collector=collector)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        port = await server.start()
    except RuntimeError as exc:  # grpc: the address cannot be bound
        await server.stop()
        fail(f"cannot listen on {config.listen}: {exc}")
    host = config.listen.rsplit(":", 1)[0]
    click.echo(f"netsla: serving netsla.v1 on {host}:{port} (TLS)", err=True)
    try:
        await stop.wait()
    finally:
        click.echo("netsla: stopping", err=True)
        await server.stop()
        await ctx.pool.close()


_PEM = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command(name="serve")
@click.option(
    "--listen",
    default="127.0.0.1:50051",
    show_default=True,
    help="HOST:PORT of the gRPC server (port 0: any free port).",
)
@click.option("--tls-cert", "tls_cert", type=_PEM, help="Server certificate chain (PEM).")
@click.option("--tls-key", "tls_key", type=_PEM, help="Server private key (PEM).")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the server keeps its own CA (default: the data folder).",
)
@click.option(
    "--collect/--no-collect",
    default=True,
    show_default=True,
    help="Poll the devices (SNMP, NETCONF) in the same process.",
)
@click.option(
    "--sla-interval",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds between live SLA rounds (0: none).",
)
@controller_options
def command(
    *,
    listen: str,
    tls_cert: Path | None,
    tls_key: Path | None,
    state_dir: Path | None,
    collect: bool,
    sla_interval: float,
    database: str | None,
    inventory_path: Path | None,
) -> None:
    """Serve the gRPC API (SLA queries, SLA events, service management) until SIGTERM."""
    if ":" not in listen:
        fail(f"--listen {listen!r}: expected HOST:PORT", status=EXIT_BAD_INPUT)
    from northbound.grpc.server import ServeConfig

    tls = _tls(tls_cert, tls_key, state_dir or default_state_dir())
    ctx = open_context(database, inventory_path)
    config = ServeConfig(listen=listen, tls=tls, sla_interval=sla_interval)
    asyncio.run(_serve(ctx, config, collect))
