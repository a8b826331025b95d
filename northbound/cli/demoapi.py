"""The demo's northbound chapter: a customer's view over gRPC.

It issues a token for one customer (``netsla token create``), starts
``netsla serve`` as its own process (TLS with netsla's own CA, any free
port), asks for that customer's SLA status and then for another customer's,
which the server refuses, and stops the server by its PID.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from controller.errors import ControllerError
from northbound.cli import token
from northbound.cli.output import shown_command

ISSUED = re.compile(r"token (\S+) for ")
SERVING = re.compile(r"serving netsla\.v1 on (\S+):(\d+)")
START_TIMEOUT = 30.0


class DemoServerError(ControllerError):
    """``netsla serve`` did not come up for the demo."""


@dataclass(frozen=True)
class Server:
    address: str
    ca: Path


def _echo(words: tuple[str, ...], *, background: bool = False) -> None:
    click.secho(f"$ {shown_command(words)}{' &' if background else ''}", bold=True, err=True)


@dataclass(frozen=True)
class DemoToken:
    token_id: str
    text: str


def database_words(database: str | None) -> tuple[str, ...]:
    """``--database URL`` as typed, or nothing for the default store."""
    return ("--database", database) if database else ()


def issue_token(ctx: click.Context, *, customer: str, database: str | None) -> DemoToken:
    """``netsla token create --customer C``; the demo shows the token masked."""
    words = ("token", "create", "--customer", customer, "--description", "demo")
    _echo(("netsla", *words, *database_words(database)))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        ctx.invoke(token.create_command, customer=customer, description="demo", database=database)
    match = ISSUED.search(err.getvalue())
    if match is None:
        raise DemoServerError("netsla token create did not name the token it made")
    text = out.getvalue().strip()
    click.echo(f"token {match.group(1)} for customer {customer}: {text[:9]}... (shown once)")
    return DemoToken(token_id=match.group(1), text=text)


def revoke_token(ctx: click.Context, issued: DemoToken, *, database: str | None) -> None:
    """``netsla token revoke ID``: the demo leaves no live token behind."""
    _echo(("netsla", "token", "revoke", issued.token_id, *database_words(database)))
    ctx.invoke(token.revoke_command, token_id=issued.token_id, database=database)


def _netsla() -> list[str]:
    found = shutil.which("netsla", path=str(Path(sys.executable).parent))
    if found is None:
        raise DemoServerError("the netsla command is not installed beside this Python")
    return [found]


def _server_words(state: Path, inventory: Path | None) -> tuple[str, ...]:
    words: tuple[str, ...] = ("serve", "--listen", "127.0.0.1:0", "--no-collect")
    words += ("--sla-interval", "0", "--state-dir", str(state))
    if inventory is not None:
        words += ("--inventory", str(inventory))
    return words


def _wait_serving(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + START_TIMEOUT
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line.strip())
        match = SERVING.search(line)
        if match:
            return f"localhost:{match.group(2)}"
    raise DemoServerError("netsla serve did not start: " + " | ".join(seen[-3:]))


@contextlib.contextmanager
def running_server(*, database: str | None, inventory: Path | None) -> Iterator[Server]:
    """``netsla serve`` in a process of its own, stopped (by PID) on leaving."""
    with tempfile.TemporaryDirectory(prefix="netsla-demo-serve-") as folder:
        state = Path(folder)
        words = _server_words(state, inventory)
        _echo(("netsla", *words, *database_words(database)), background=True)
        # The store's URL goes in the environment, not on the command line
        # that any local user can read (it may hold a password).
        env = {**os.environ, "NETSLA_DATABASE": database} if database else None
        process = subprocess.Popen(
            [*_netsla(), *words],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            address = _wait_serving(process)
            click.echo(f"serving on {address} (TLS, CA {state / 'tls' / 'ca.pem'})", err=True)
            yield Server(address=address, ca=state / "tls" / "ca.pem")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _echo(("kill", "-TERM", str(process.pid)))


def _grpcurl(server: Server, name: str) -> tuple[str, ...]:
    """The grpcurl command line that makes the same call (token left as $TOKEN)."""
    return (
        "grpcurl",
        "-cacert",
        str(server.ca),
        "-H",
        "authorization: Bearer $TOKEN",
        "-d",
        json.dumps({"name": name}),
        server.address,
        "netsla.v1.SlaService/GetSlaStatus",
    )


def ask_status(server: Server, *, token_text: str, services: tuple[str, ...]) -> None:
    """GetSlaStatus of each service with the customer's token, one line per answer."""
    import grpc

    from northbound.proto.netsla.v1 import netsla_pb2 as pb
    from northbound.proto.netsla.v1 import netsla_pb2_grpc

    credentials = grpc.ssl_channel_credentials(root_certificates=server.ca.read_bytes())
    auth = (("authorization", f"Bearer {token_text}"),)
    with grpc.secure_channel(server.address, credentials) as channel:
        stub = netsla_pb2_grpc.SlaServiceStub(channel)
        for service_id in services:
            name = f"services/{service_id}/slaStatus"
            _echo(_grpcurl(server, name))
            try:
                status = stub.GetSlaStatus(
                    pb.GetSlaStatusRequest(name=name), metadata=auth, timeout=10
                )
            except grpc.RpcError as exc:
                click.echo(f"  {exc.code().name}: {exc.details()}")
                continue
            violations = ", ".join(v.metric for v in status.violations) or "none"
            metrics = ", ".join(f"{k}={v}" for k, v in sorted(status.metrics.items()))
            click.echo(
                f"  {status.service} ({status.customer}, {status.sla_template}): "
                f"compliant={status.compliant} violations={violations} "
                f"credit={status.credit_percent}% health={status.health_score}"
            )
            click.echo(f"  measured: {metrics}")
