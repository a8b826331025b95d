"""Benchmark of the gRPC northbound: unary GetSlaStatus calls per second on one core, TLS.

Run: ``.venv/bin/python tests/benchmarks/bench_grpc.py [seconds]``

Two servers, each in its own process pinned to CPU 0, each over TLS on
127.0.0.1, measured in the same run by the same client (pinned to CPU 1,
``CONCURRENCY`` calls in flight):

- baseline: a bare grpc.aio servicer of netsla.v1.SlaService whose
  GetSlaStatus returns a prebuilt SlaStatus (no token check, no store);
- netsla: ``ApiServer`` over SQLite with two bound and evaluated services,
  bearer-token check against the stored digest and the SLA status read
  from the store, per call.

Printed: calls per second, server CPU seconds per 1,000 calls, and netsla's
ratio to the baseline.  REFERENCE.md: Python grpc.aio serves a few thousand
small unary calls a second on one core.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lab.cpu import process_cpu  # noqa: E402
from northbound.grpc.tls import local_tls  # noqa: E402
from northbound.proto.netsla.v1 import netsla_pb2 as pb  # noqa: E402
from northbound.proto.netsla.v1 import netsla_pb2_grpc  # noqa: E402

CONCURRENCY = 32
SERVER_CPU = 0
CLIENT_CPU = 1
REQUEST = pb.GetSlaStatusRequest(name="services/acme-corp/slaStatus")


# --- servers (run in a child process) --------------------------------------------


class EchoSla(netsla_pb2_grpc.SlaServiceServicer):  # type: ignore[misc]
    """The baseline: a servicer that answers a prebuilt status."""

    def __init__(self, reply: pb.SlaStatus) -> None:
        self.reply = reply

    async def GetSlaStatus(self, request: pb.GetSlaStatusRequest, context: Any) -> pb.SlaStatus:
        return self.reply


async def _serve_echo(folder: Path) -> None:
    from grpc import ssl_server_credentials

    tls = local_tls(folder / "tls")
    server = grpc.aio.server()
    reply = pb.SlaStatus(
        name=REQUEST.name,
        service="services/acme-corp",
        sla_template="gold",
        compliant=True,
        health_score=100,
        metrics={"delay-ms": "12.5"},
    )
    netsla_pb2_grpc.add_SlaServiceServicer_to_server(EchoSla(reply), server)
    credentials = ssl_server_credentials([(tls.key.read_bytes(), tls.cert.read_bytes())])
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    print(port, flush=True)
    await server.wait_for_termination()


async def _serve_netsla(folder: Path) -> None:
    from controller.service import Controller
    from controller.sla import live
    from controller.store import open_store
    from controller.tokens import Role, Tokens
    from northbound.grpc.server import ApiServer, ServeConfig
    from tests.northbound.grpcapi import PLATFORMS, T0_US, bind_examples, store_templates

    store = open_store(f"sqlite:///{folder / 'netsla.db'}")
    store_templates(store)
    bind_examples(store)
    live.run(store, now_us=T0_US)
    token = Tokens(store).create(role=Role.CUSTOMER, customer="acme").text
    (folder / "token").write_text(token)

    def no_device(name: str) -> Any:
        raise RuntimeError(name)

    controller = Controller(store=store, platforms=PLATFORMS, driver=no_device)
    config = ServeConfig(listen="127.0.0.1:0", tls=local_tls(folder / "tls"), sla_interval=0)
    server = ApiServer(controller=controller, config=config)
    port = await server.start()
    print(port, flush=True)
    await asyncio.Event().wait()


# --- client -------------------------------------------------------------------------


async def _load(port: int, ca: bytes, token: str, seconds: float) -> tuple[int, float]:
    credentials = grpc.ssl_channel_credentials(root_certificates=ca)
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.secure_channel(f"localhost:{port}", credentials) as channel:
        stub = netsla_pb2_grpc.SlaServiceStub(channel)
        reply = await stub.GetSlaStatus(REQUEST, metadata=metadata)
        assert reply.sla_template == "gold", reply
        done = 0
        deadline = 0.0

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await stub.GetSlaStatus(REQUEST, metadata=metadata)
                done += 1

        deadline = time.perf_counter() + 1.0  # warm-up
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        done = 0
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return done, time.perf_counter() - start


def measure(kind: str, seconds: float) -> tuple[float, float]:
    """(calls per second, server CPU ms per 1,000 calls) of one server kind."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(folder)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            port = int(child.stdout.readline())
            token = (folder / "token").read_text() if kind == "netsla" else "none"
            ca = (folder / "tls" / "ca.pem").read_bytes()
            cpu_before = process_cpu(child.pid)
            calls, elapsed = asyncio.run(_load(port, ca, token, seconds))
            # warm-up included: CPU per call is slightly overstated, alike for both servers
            cpu = process_cpu(child.pid) - cpu_before
        finally:
            child.terminate()
            child.wait()
    return calls / elapsed, 1_000_000 * cpu / max(calls, 1)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    cpus = os.cpu_count() or 1
    if cpus > 1:
        os.sched_setaffinity(0, {CLIENT_CPU})
    print(f"GetSlaStatus over TLS, {CONCURRENCY} calls in flight, {seconds:.0f} s per server, "
          f"server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU if cpus > 1 else 0}")  # fmt: skip
    echo_rate, echo_cpu = measure("echo", seconds)
    netsla_rate, netsla_cpu = measure("netsla", seconds)
    print(f"{'server':<34}{'calls/s':>10}{'server CPU ms per 1k calls':>30}")
    print(f"{'bare grpc.aio servicer (baseline)':<34}{echo_rate:>10.0f}{echo_cpu:>30.0f}")
    print(f"{'netsla (token + store read)':<34}{netsla_rate:>10.0f}{netsla_cpu:>30.0f}")
    print(f"netsla / baseline: {netsla_rate / echo_rate:.2f} of the calls per second")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        if (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {SERVER_CPU})  # before gRPC starts its threads
        serve = _serve_echo if sys.argv[2] == "echo" else _serve_netsla
        asyncio.run(serve(Path(sys.argv[3])))
    else:
        main()
