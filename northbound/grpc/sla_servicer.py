"""netsla.v1.SlaService: SLA statuses, alarms and the SLA event stream.

Converts messages, delegates to :class:`northbound.grpc.instance.SlaApi` and
the :class:`northbound.grpc.hub.EventHub`, maps errors to status codes
(:mod:`northbound.grpc.errors`); nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from controller.sla.events import Cursor
from controller.tokens import Principal
from northbound.grpc import convert
from northbound.grpc.auth import Authenticator, scope_of
from northbound.grpc.call import fail, unary
from northbound.grpc.hub import EventHub
from northbound.grpc.instance import SlaApi
from northbound.grpc.names import paginate, parse_parent, parse_service
from northbound.proto.netsla.v1 import netsla_pb2 as pb


class SlaServicer:
    """Implements netsla.v1.SlaService (registered with ``add_SlaServiceServicer_to_server``)."""

    def __init__(self, api: SlaApi, hub: EventHub, auth: Authenticator) -> None:
        self.api = api
        self.hub = hub
        self.auth = auth

    async def GetSlaStatus(self, request: pb.GetSlaStatusRequest, context: Any) -> pb.SlaStatus:
        async def work(principal: Principal) -> pb.SlaStatus:
            service_id = parse_service(request.name, sla_status=True)
            return convert.sla_status(await self.api.status(principal, service_id))

        return await unary(context, self.auth, work)

    async def ListSlaStatuses(
        self, request: pb.ListSlaStatusesRequest, context: Any
    ) -> pb.ListSlaStatusesResponse:
        async def work(principal: Principal) -> pb.ListSlaStatusesResponse:
            found = await self.api.statuses(principal, parse_parent(request.parent))
            page = paginate(
                found, key=lambda s: s.service_id, size=request.page_size, token=request.page_token
            )
            return pb.ListSlaStatusesResponse(
                sla_statuses=[convert.sla_status(s) for s in page.items],
                next_page_token=page.next_token,
            )

        return await unary(context, self.auth, work)

    async def ListAlarms(
        self, request: pb.ListAlarmsRequest, context: Any
    ) -> pb.ListAlarmsResponse:
        async def work(principal: Principal) -> pb.ListAlarmsResponse:
            customer = parse_parent(request.parent)
            found = await self.api.alarms(principal, customer, show_cleared=request.show_cleared)
            page = paginate(
                found,
                key=lambda o: "\n".join(
                    (o.alarm.resource, o.alarm.alarm_type_id, o.alarm.qualifier)
                ),
                size=request.page_size,
                token=request.page_token,
            )
            return pb.ListAlarmsResponse(
                alarms=[convert.alarm(o) for o in page.items], next_page_token=page.next_token
            )

        return await unary(context, self.auth, work)

    async def StreamSlaEvents(
        self, request: pb.StreamSlaEventsRequest, context: Any
    ) -> AsyncIterator[pb.SlaEvent]:
        try:
            principal = await self.auth.principal(context.invocation_metadata())
            scope = scope_of(principal, parse_parent(request.parent))
            resume = Cursor.decode(request.resume_cursor) if request.resume_cursor else None
            async for event in self.hub.subscribe(principal, resume):
                if scope is None or event.customer == scope:
                    yield convert.sla_event(event)
        except Exception as exc:
            await fail(context, exc)
