"""A real netsla gRPC server for tests: SQLite in a temporary folder, TLS, tokens.

The controller knows three PEs by platform but reaches no device: tests
over it plan (dry runs) and read; device work is tested against the lab.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from controller.service import Controller
from controller.sla import catalog
from controller.store import Store, open_store
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding
from controller.tokens import Role, Tokens
from controller.transaction import DeviceDriver
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat
from northbound.grpc.server import ApiServer, ServeConfig
from northbound.grpc.tls import local_tls
from northbound.proto.netsla.v1 import netsla_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TEMPLATES = EXAMPLES / "sla-templates.json"
ACME = EXAMPLES / "acme-gold-any-to-any.json"
GLOBEX = EXAMPLES / "globex-silver-hub-spoke.json"
PLATFORMS = {"pe1": "netsla-router", "pe2": "netsla-router", "pe3": "netsla-router"}
T0_US = 1_764_000_000_000_000  # 2025-11-24T16:00:00Z


def _no_device(name: str) -> DeviceDriver:
    raise AssertionError(f"device {name} reached by a test that has no devices")


@dataclass
class Api:
    server: ApiServer
    store: Store
    channel: Any
    sla: netsla_pb2_grpc.SlaServiceStub
    services: netsla_pb2_grpc.ServiceManagementStub
    tokens: dict[str, str]  # operator, acme, globex

    def auth(self, who: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens[who]}"),)


def store_catalog(store: Store) -> None:
    """Store the examples' SLA templates, tiers and customers as an operator's apply would."""
    docs = [Document(p.read_bytes(), DataFormat.JSON, str(p)) for p in (TEMPLATES, ACME, GLOBEX)]
    with store.session() as session:
        catalog.store_catalog(SlaRepository(session), catalog.catalog_of([validated_data(docs)]))


def bind_examples(store: Store) -> None:
    """acme-corp (acme, gold) and globex-retail (globex, silver), one probe each."""
    with store.session() as session:
        repo = SlaRepository(session)
        for service, customer, template, probe in (
            ("acme-corp", "acme", "gold", "1"),
            ("globex-retail", "globex", "silver", "2"),
        ):
            access = Access(site="s1", device="pe1", port="eth1", probes=(probe,))
            repo.bind(
                Binding(
                    service_id=service,
                    customer=customer,
                    template=template,
                    accesses=(access,),
                    since_us=T0_US - 3_600_000_000,
                )
            )


def documents(*paths: Path) -> list[str]:
    return [p.read_text() for p in paths]


def document_without(path: Path, *keys: str) -> str:
    """A document with some vpn-service leaves removed (to make it invalid)."""
    data = json.loads(path.read_text())
    for vpn in data["ietf-l3vpn-svc:l3vpn-svc"]["vpn-services"]["vpn-service"]:
        for key in keys:
            vpn.pop(key, None)
    return json.dumps(data)


@asynccontextmanager
async def running_api(tmp_path: Path) -> AsyncIterator[Api]:
    store = open_store(f"sqlite:///{tmp_path / 'netsla.db'}")
    controller = Controller(store=store, platforms=PLATFORMS, driver=_no_device)
    tls = local_tls(tmp_path / "tls")
    config = ServeConfig(
        listen="127.0.0.1:0", tls=tls, sla_interval=0, event_poll_interval=0.2, grace=0.5
    )
    server = ApiServer(controller=controller, config=config)
    port = await server.start()
    tokens = Tokens(store)
    issued = {
        "operator": tokens.create(role=Role.OPERATOR).text,
        "acme": tokens.create(role=Role.CUSTOMER, customer="acme").text,
        "globex": tokens.create(role=Role.CUSTOMER, customer="globex").text,
    }
    assert tls.ca is not None
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.ca.read_bytes())
    channel = grpc.aio.secure_channel(f"localhost:{port}", credentials)
    try:
        yield Api(
            server=server,
            store=store,
            channel=channel,
            sla=netsla_pb2_grpc.SlaServiceStub(channel),
            services=netsla_pb2_grpc.ServiceManagementStub(channel),
            tokens=issued,
        )
    finally:
        await channel.close()
        await server.stop()
        store.close()
