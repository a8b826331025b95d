"""The gRPC server of ``netsla serve``: API, collector and SLA rounds in one asyncio program.

:class:`ApiServer` runs

- a grpc.aio server with TLS (always) serving netsla.v1 ``SlaService`` and
  ``ServiceManagement``, gRPC health checking (grpc.health.v1) and server
  reflection;
- the collector (:class:`controller.collector.Collector`), when given;
- a live SLA round (:func:`controller.sla.live.run`) every ``sla_interval``
  seconds, after which the :class:`~northbound.grpc.hub.EventHub` reads what
  the round stored and streams it.

:meth:`ApiServer.stop` ends them in the reverse order: new calls are
refused, calls in flight get ``grace`` seconds, the collector writes what it
holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from controller.collector import Collector
from controller.service import Controller
from controller.sla import live
from controller.tokens import Tokens
from northbound.grpc.auth import Authenticator
from northbound.grpc.hub import EventHub
from northbound.grpc.instance import ServiceApi, SlaApi
from northbound.grpc.service_servicer import ServiceServicer
from northbound.grpc.sla_servicer import SlaServicer
from northbound.grpc.tls import TlsFiles
from northbound.proto.netsla.v1 import netsla_pb2, netsla_pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAMES = (
    netsla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name,
    netsla_pb2.DESCRIPTOR.services_by_name["ServiceManagement"].full_name,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    listen: str = "127.0.0.1:50051"
    tls: TlsFiles
    sla_interval: float = 60.0  # seconds between SLA rounds; 0: no rounds
    event_poll_interval: float = 2.0
    grace: float = 5.0


def server_credentials(tls: TlsFiles) -> Any:
    return grpc.ssl_server_credentials([(tls.key.read_bytes(), tls.cert.read_bytes())])


class ApiServer:
    """The API server and its companions; see the module's documentation."""

    def __init__(
        self, *, controller: Controller, config: ServeConfig, collector: Collector | None = None
    ) -> None:
        self.controller = controller
        self.store = controller.store
        self.config = config
        self.collector = collector
        self.hub = EventHub(self.store, poll_interval=config.event_poll_interval)
        self.health = health.aio.HealthServicer()
        self.port = 0
        self._server: Any = None
        self._rounds: asyncio.Task[None] | None = None

    def _build(self) -> Any:
        auth = Authenticator(Tokens(self.store))
        server = grpc.aio.server()
        netsla_pb2_grpc.add_SlaServiceServicer_to_server(
            SlaServicer(SlaApi(self.controller), self.hub, auth), server
        )
        netsla_pb2_grpc.add_ServiceManagementServicer_to_server(
            ServiceServicer(ServiceApi(self.controller), auth), server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        names = (*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
        reflection.enable_server_reflection((*names, reflection.SERVICE_NAME), server)
        return server

    async def start(self) -> int:
        """Start everything; the port the server listens on (useful with port 0)."""
        await self.hub.start()
        self._server = self._build()
        self.port = self._server.add_secure_port(
            self.config.listen, server_credentials(self.config.tls)
        )
        await self._server.start()
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self.collector is not None:
            await self.collector.start()
        if self.config.sla_interval > 0:
            self._rounds = asyncio.create_task(self._round_loop())
        return int(self.port)

    async def sla_round(self, *, now_us: int | None = None) -> list[live.ServiceOutcome]:
        """One live SLA round (off the loop's thread); its events go to the streams."""
        at = now_us if now_us is not None else time.time_ns() // 1000
        outcomes = await asyncio.to_thread(lambda: live.run(self.store, now_us=at))
        self.hub.notify()
        return outcomes

    async def _round_loop(self) -> None:
        while True:
            try:
                await self.sla_round()
            except Exception:  # one failed round must not end the next ones
                log.exception("SLA round failed")
            await asyncio.sleep(self.config.sla_interval)

    async def stop(self) -> None:
        if self._server is not None:
            await self.health.enter_graceful_shutdown()
            await self.hub.stop()
            await self._server.stop(self.config.grace)
        if self._rounds is not None:
            self._rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rounds
        if self.collector is not None:
            await self.collector.stop()
