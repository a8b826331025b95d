"""The committed gRPC stubs are what scripts/gen-proto makes of netsla.proto."""

from __future__ import annotations

import subprocess
from pathlib import Path

from northbound.proto.netsla.v1 import netsla_pb2

ROOT = Path(__file__).resolve().parents[2]
STUBS = Path("northbound/proto/netsla/v1")
GENERATED = ("netsla_pb2.py", "netsla_pb2.pyi", "netsla_pb2_grpc.py")


def test_committed_stubs_are_up_to_date(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts/gen-proto"), str(tmp_path)], check=True, cwd=ROOT)
    stale = [
        name
        for name in GENERATED
        if (tmp_path / STUBS / name).read_text() != (ROOT / STUBS / name).read_text()
    ]
    assert not stale, f"stale gRPC stubs, run scripts/gen-proto: {stale}"


def test_stubs_carry_the_api_of_the_proto() -> None:
    services = netsla_pb2.DESCRIPTOR.services_by_name
    assert sorted(services) == ["ServiceManagement", "SlaService"]
    stream = services["SlaService"].methods_by_name["StreamSlaEvents"]
    assert stream.server_streaming and not stream.client_streaming
    assert netsla_pb2.DESCRIPTOR.package == "netsla.v1"
