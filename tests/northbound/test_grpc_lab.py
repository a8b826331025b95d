"""``netsla serve`` as a process against the lab: apply a service over gRPC, see it, delete it.

Run with ``NETSLA_TEST_LAB`` / ``NETSLA_TEST_PORT_BASE`` naming a lab of
your own (the ``lab`` fixture brings it up).  The server listens on a free
port of 127.0.0.1 with its own CA, collects from the lab's routers and runs
SLA rounds every second; it must stop cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from lab.state import LabState
from northbound.proto.netsla.v1 import netsla_pb2 as pb
from northbound.proto.netsla.v1 import netsla_pb2_grpc
from tests.northbound.grpcapi import ACME, TEMPLATES, documents

READY = re.compile(r"serving netsla\.v1 on 127\.0\.0\.1:(\d+)")


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    ca: bytes
    token: str
    database: str


def _netsla(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from northbound.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _wait_ready(process: subprocess.Popen[str], timeout: float = 60.0) -> int:
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"netsla serve ended: {''.join(seen)}")
        seen.append(line)
        match = READY.search(line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"netsla serve not ready: {''.join(seen)}")


@pytest.fixture
def served(lab: LabState, tmp_path: Path) -> Iterator[Served]:
    database = f"sqlite:///{tmp_path / 'netsla.db'}"
    token = _netsla("token", "create", "--operator", "--database", database).strip()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from northbound.cli import main; main()",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
            "--inventory",
            str(lab.inventory),
            "--state-dir",
            str(tmp_path / "state"),
            "--sla-interval",
            "1",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        port = _wait_ready(process)
        ca = (tmp_path / "state" / "tls" / "ca.pem").read_bytes()
        yield Served(process=process, port=port, ca=ca, token=token, database=database)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _scenario(served: Served) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=served.ca)
    auth = (("authorization", f"Bearer {served.token}"),)
    async with grpc.aio.secure_channel(f"localhost:{served.port}", credentials) as channel:
        services = netsla_pb2_grpc.ServiceManagementStub(channel)
        sla = netsla_pb2_grpc.SlaServiceStub(channel)
        request = pb.ApplyServicesRequest(documents=documents(TEMPLATES, ACME))
        applied = await services.ApplyServices(request, metadata=auth, timeout=120)
        assert applied.transaction_id > 0 and not applied.dry_run
        assert {c.device for c in applied.device_changes} == {"pe1", "pe2", "pe3"}

        name = pb.GetServiceRequest(name="services/acme-corp")
        service = await services.GetService(name, metadata=auth)
        assert service.customer == "customers/acme"
        assert service.transaction_id == applied.transaction_id
        assert sorted(service.devices) == ["pe1", "pe2", "pe3"]
        assert service.sla_template == "gold"

        again = await services.ApplyServices(request, metadata=auth, timeout=120)
        assert again.transaction_id == 0 and not again.device_changes  # already there

        status = await _evaluated(sla, auth)
        assert status.sla_template == "gold" and status.HasField("evaluate_time")

        delete = pb.DeleteServiceRequest(name="services/acme-corp")
        deleted = await services.DeleteService(delete, metadata=auth, timeout=120)
        assert deleted.transaction_id > applied.transaction_id
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await services.GetService(name, metadata=auth)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def _evaluated(
    sla: netsla_pb2_grpc.SlaServiceStub, auth: tuple[tuple[str, str], ...]
) -> pb.SlaStatus:
    """The service's SLA status once a round of the server evaluated it."""
    request = pb.GetSlaStatusRequest(name="services/acme-corp/slaStatus")
    for _ in range(100):
        status = await sla.GetSlaStatus(request, metadata=auth)
        if status.HasField("evaluate_time"):
            return status
        await asyncio.sleep(0.1)
    raise AssertionError("no SLA round evaluated the service")


@pytest.mark.lab
def test_serve_applies_shows_and_deletes_a_service_on_the_lab(
    lab: LabState, served: Served
) -> None:
    asyncio.run(_scenario(served))
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    journal = _netsla(
        "transaction", "list", "--format", "json",
        "--database", served.database, "--inventory", str(lab.inventory),
    )  # fmt: skip
    assert "grpc netsla.v1.ServiceManagement/ApplyServices" in journal
