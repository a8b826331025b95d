"""netsla.v1.ServiceManagement: apply, delete, list and get services.

Converts messages, delegates to :class:`northbound.grpc.instance.ServiceApi`
(the controller's transactions), maps errors to status codes
(:mod:`northbound.grpc.errors`); nothing else.
"""

from __future__ import annotations

from typing import Any

from controller.execution import RunOptions
from controller.tokens import Principal
from northbound.grpc import convert
from northbound.grpc.auth import Authenticator
from northbound.grpc.call import unary
from northbound.grpc.errors import BadRequest
from northbound.grpc.instance import ServiceApi
from northbound.grpc.names import paginate, parse_parent, parse_service
from northbound.proto.netsla.v1 import netsla_pb2 as pb

MAX_CONFIRM_TIMEOUT = 3600


def run_options(confirm_timeout_seconds: int) -> RunOptions:
    if not 0 <= confirm_timeout_seconds <= MAX_CONFIRM_TIMEOUT:
        raise BadRequest(f"confirm_timeout_seconds must be within 0..{MAX_CONFIRM_TIMEOUT}")
    return RunOptions(confirm_timeout=confirm_timeout_seconds or None)


class ServiceServicer:
    """Implements netsla.v1.ServiceManagement (``add_ServiceManagementServicer_to_server``)."""

    def __init__(self, api: ServiceApi, auth: Authenticator) -> None:
        self.api = api
        self.auth = auth

    async def ApplyServices(
        self, request: pb.ApplyServicesRequest, context: Any
    ) -> pb.ChangeResult:
        async def work(principal: Principal) -> pb.ChangeResult:
            if not request.documents:
                raise BadRequest("documents: give at least one RFC 7951 JSON document")
            outcome = await self.api.apply(
                principal,
                list(request.documents),
                dry_run=request.dry_run,
                options=run_options(request.confirm_timeout_seconds),
            )
            return convert.change_result(outcome)

        return await unary(context, self.auth, work)

    async def DeleteService(
        self, request: pb.DeleteServiceRequest, context: Any
    ) -> pb.ChangeResult:
        async def work(principal: Principal) -> pb.ChangeResult:
            outcome = await self.api.delete(
                principal,
                parse_service(request.name),
                dry_run=request.dry_run,
                options=run_options(request.confirm_timeout_seconds),
            )
            return convert.change_result(outcome)

        return await unary(context, self.auth, work)

    async def ListServices(
        self, request: pb.ListServicesRequest, context: Any
    ) -> pb.ListServicesResponse:
        async def work(principal: Principal) -> pb.ListServicesResponse:
            found = await self.api.list(principal, parse_parent(request.parent))
            page = paginate(
                found, key=lambda v: v.service_id, size=request.page_size, token=request.page_token
            )
            return pb.ListServicesResponse(
                services=[convert.service(v) for v in page.items], next_page_token=page.next_token
            )

        return await unary(context, self.auth, work)

    async def GetService(self, request: pb.GetServiceRequest, context: Any) -> pb.Service:
        async def work(principal: Principal) -> pb.Service:
            return convert.service(await self.api.get(principal, parse_service(request.name)))

        return await unary(context, self.auth, work)
