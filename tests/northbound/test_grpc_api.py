"""The gRPC API over a real server (grpc.aio, TLS, 127.0.0.1) and a real SQLite store.

Authentication, customer isolation, apply dry runs of the examples with
their validation problems, SLA status and alarms, and SLA events streamed
as an SLA round stores them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from google.rpc import status_pb2

from controller.sla import live
from controller.sla.csvinput import SampleChunk
from controller.sla.events import Cursor
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository
from controller.store.sla import SlaRepository
from controller.tokens import Principal, Role, Tokens
from controller.tokens import parse as parse_token
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat
from northbound.grpc.errors import DETAILS_KEY
from northbound.proto.netsla.v1 import netsla_pb2 as pb
from tests.northbound.grpcapi import (
    ACME,
    GLOBEX,
    T0_US,
    TEMPLATES,
    Api,
    bind_examples,
    document_without,
    documents,
    running_api,
    store_catalog,
)

STATUS = pb.GetSlaStatusRequest(name="services/acme-corp/slaStatus")


def run(tmp_path: Path, scenario: Callable[[Api], Awaitable[None]]) -> None:
    async def main() -> None:
        async with running_api(tmp_path) as api:
            await scenario(api)

    asyncio.run(main())


async def code_of(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    raise AssertionError("the call succeeded")


async def rpc_error(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc
    raise AssertionError("the call succeeded")


async def evaluated(api: Api, samples: list[SampleChunk] | None = None, *, at: int = T0_US) -> None:
    """An SLA round as `netsla sla run` stores it, then the hub is told."""
    await asyncio.to_thread(lambda: live.run(api.store, now_us=at, samples=samples or []))
    api.server.hub.notify()


def delays(probe: str, delay_ms: float, *, end_us: int, count: int = 60) -> SampleChunk:
    """``count`` packets of one probe over the minutes before ``end_us``."""
    times = end_us - np.arange(count, 0, -1, dtype=np.int64) * 30_000_000
    return SampleChunk(
        time_us=times,
        probe_index=np.zeros(count, dtype=np.intp),
        probe_names=(probe,),
        delay_ms=np.full(count, delay_ms, dtype=np.float64),
    )


# --- authentication -----------------------------------------------------------


async def _revoke(api: Api, who: str) -> None:
    token_id, _ = parse_token(api.tokens[who])
    await asyncio.to_thread(Tokens(api.store).revoke, token_id)


def _operator(store: Store) -> Principal:
    """The principal of a new operator token."""
    return Tokens(store).authenticate(Tokens(store).create(role=Role.OPERATOR).text)


def test_calls_without_a_valid_token_are_unauthenticated(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        bad = [
            (),
            (("authorization", "Basic dXNlcjpwYXNz"),),
            (("authorization", "Bearer nsla_0123456789abcdef_" + "A" * 43),),
            (("authorization", "Bearer " + api.tokens["acme"][:-1] + "x"),),
            (("authorization", "Bearer not-a-token"),),
        ]
        for metadata in bad:
            got = await code_of(api.sla.GetSlaStatus(STATUS, metadata=metadata))
            assert got == grpc.StatusCode.UNAUTHENTICATED, metadata

    run(tmp_path, scenario)


def test_a_revoked_token_is_refused_at_once(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        request = pb.ListServicesRequest(parent="customers/-")
        assert (await api.services.ListServices(request, metadata=api.auth("acme"))) is not None
        await _revoke(api, "acme")
        got = await code_of(api.services.ListServices(request, metadata=api.auth("acme")))
        assert got == grpc.StatusCode.UNAUTHENTICATED

    run(tmp_path, scenario)


def test_tokens_are_stored_as_salted_digests_only(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        records = Tokens(api.store).list()
        assert len(records) == 3
        texts = set(api.tokens.values())
        for record in records:
            # the secret is URL-safe base64: it may hold "_" itself
            _, secret = parse_token(next(t for t in texts if record.token_id in t))
            assert secret not in repr(record)
            assert len(record.salt) == 32 and len(record.digest) == 64
        assert len({r.salt for r in records}) == 3

    run(tmp_path, scenario)


# --- customer isolation -------------------------------------------------------


def test_a_customer_sees_only_its_own_sla_status_and_alarms(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        bind_examples(api.store)
        await evaluated(api)
        mine = await api.sla.GetSlaStatus(STATUS, metadata=api.auth("acme"))
        assert mine.customer == "customers/acme" and mine.sla_template == "gold"
        assert mine.active_alarm_count > 0 and mine.health_score >= 0
        theirs = pb.GetSlaStatusRequest(name="services/globex-retail/slaStatus")
        got = await code_of(api.sla.GetSlaStatus(theirs, metadata=api.auth("acme")))
        assert got == grpc.StatusCode.PERMISSION_DENIED
        missing = pb.GetSlaStatusRequest(name="services/nothing/slaStatus")
        got = await code_of(api.sla.GetSlaStatus(missing, metadata=api.auth("acme")))
        assert got == grpc.StatusCode.PERMISSION_DENIED  # cannot tell missing from foreign
        got = await code_of(api.sla.GetSlaStatus(missing, metadata=api.auth("operator")))
        assert got == grpc.StatusCode.NOT_FOUND

        every = pb.ListAlarmsRequest(parent="customers/-")
        acme = await api.sla.ListAlarms(every, metadata=api.auth("acme"))
        operator = await api.sla.ListAlarms(every, metadata=api.auth("operator"))
        assert acme.alarms and {a.customer for a in acme.alarms} == {"customers/acme"}
        assert {a.customer for a in operator.alarms} == {"customers/acme", "customers/globex"}
        foreign = pb.ListAlarmsRequest(parent="customers/globex")
        got = await code_of(api.sla.ListAlarms(foreign, metadata=api.auth("acme")))
        assert got == grpc.StatusCode.PERMISSION_DENIED
        statuses = await api.sla.ListSlaStatuses(
            pb.ListSlaStatusesRequest(parent="customers/-"), metadata=api.auth("globex")
        )
        assert [s.service for s in statuses.sla_statuses] == ["services/globex-retail"]

    run(tmp_path, scenario)


def test_a_customer_cannot_apply_another_customers_service(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        request = pb.ApplyServicesRequest(documents=documents(TEMPLATES, GLOBEX), dry_run=True)
        got = await code_of(api.services.ApplyServices(request, metadata=api.auth("acme")))
        assert got == grpc.StatusCode.PERMISSION_DENIED
        own = pb.ApplyServicesRequest(documents=documents(TEMPLATES, ACME), dry_run=True)
        result = await api.services.ApplyServices(own, metadata=api.auth("acme"))
        assert list(result.services) == ["services/acme-corp"] and result.dry_run

    run(tmp_path, scenario)


def test_a_customer_cannot_change_its_tier(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)  # globex is a silver customer
        data = json.loads(GLOBEX.read_text())
        (customer,) = data["netsla-sla:customers"]["customer"]
        customer["tier"] = "gold"
        request = pb.ApplyServicesRequest(documents=[json.dumps(data)], dry_run=True)
        err = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("globex")))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "customer 'globex'" in (err.details() or "")

    run(tmp_path, scenario)


def test_a_service_document_alone_validates_against_the_stored_catalog(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        # The service alone, without its customer's entry, tiers or templates.
        data = json.loads(ACME.read_text())
        del data["netsla-sla:customers"]
        alone = pb.ApplyServicesRequest(documents=[json.dumps(data)], dry_run=True)
        result = await api.services.ApplyServices(alone, metadata=api.auth("acme"))
        assert list(result.services) == ["services/acme-corp"] and result.device_changes
        # With its customer's entry as stored: the same.
        own = pb.ApplyServicesRequest(documents=documents(ACME), dry_run=True)
        again = await api.services.ApplyServices(own, metadata=api.auth("acme"))
        assert list(again.services) == ["services/acme-corp"]
        # A customer the store does not know is still refused by validation.
        customer = data["ietf-l3vpn-svc:l3vpn-svc"]["vpn-services"]["vpn-service"][0]
        customer["customer-name"] = "initech"
        unknown = pb.ApplyServicesRequest(documents=[json.dumps(data)], dry_run=True)
        got = await code_of(api.services.ApplyServices(unknown, metadata=api.auth("operator")))
        assert got == grpc.StatusCode.INVALID_ARGUMENT

    run(tmp_path, scenario)


def test_only_the_catalog_entries_a_customer_sends_are_compared(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        # A template stored as written (e.g. by an earlier sla load: "30", not "30.0").
        raw = json.loads(TEMPLATES.read_text())["netsla-sla:sla-templates"]["sla-template"]
        (gold,) = (entry for entry in raw if entry["name"] == "gold")
        gold["objectives"]["delay-ms"] = "30"
        with api.store.session() as session:
            SlaRepository(session).put_template("gold", gold)
        request = pb.ApplyServicesRequest(documents=documents(ACME), dry_run=True)
        result = await api.services.ApplyServices(request, metadata=api.auth("acme"))
        assert list(result.services) == ["services/acme-corp"]

    run(tmp_path, scenario)


def test_a_customer_cannot_redefine_an_sla_template(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        # Nothing stored yet: the templates the customer sends are new, which only
        # an operator may define.
        request = pb.ApplyServicesRequest(documents=documents(TEMPLATES, ACME), dry_run=True)
        err = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("acme")))
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "sla-template" in (err.details() or "")

    run(tmp_path, scenario)


def _acme_service(*, vpn_id: str = "acme-corp", customer: str = "acme") -> dict[str, Any]:
    """The acme example's service alone, under another vpn-id or customer-name if asked."""
    data = json.loads(ACME.read_text().replace('"acme-corp"', json.dumps(vpn_id)))
    del data["netsla-sla:customers"]
    (vpn,) = data["ietf-l3vpn-svc:l3vpn-svc"]["vpn-services"]["vpn-service"]
    vpn["customer-name"] = customer
    return data


def test_a_customers_refusals_tell_nothing_of_what_other_customers_have(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        globex = validated_data(
            [Document(p.read_bytes(), DataFormat.JSON, p.name) for p in (TEMPLATES, GLOBEX)]
        )
        with api.store.session() as session:
            ServiceRepository(session).put_service("globex-retail", globex, ["pe1"], None)

        async def refused(*docs: dict[str, Any]) -> str:
            request = pb.ApplyServicesRequest(documents=[json.dumps(d) for d in docs], dry_run=True)
            err = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("acme")))
            assert err.code() == grpc.StatusCode.PERMISSION_DENIED, err.details()
            return err.details() or ""

        # A customer that exists and one that does not: the same words.
        known = await refused(_acme_service(customer="globex"))
        unknown = await refused(_acme_service(customer="initech"))
        assert known.replace("globex", "X") == unknown.replace("initech", "X")
        # Another customer's catalog entry, stored or not.
        entry = json.loads(GLOBEX.read_text())["netsla-sla:customers"]
        known = await refused({"netsla-sla:customers": entry}, _acme_service())
        entry["customer"][0]["name"] = "initech"
        unknown = await refused({"netsla-sla:customers": entry}, _acme_service())
        assert known.replace("globex", "X") == unknown.replace("initech", "X")
        # A template that differs from the stored one, and one that is not stored.
        templates = json.loads(TEMPLATES.read_text())
        gold = next(
            t for t in templates["netsla-sla:sla-templates"]["sla-template"] if t["name"] == "gold"
        )
        gold["description"] = "changed"
        differs = await refused(templates, _acme_service())
        gold["name"] = "platinum"
        missing = await refused(templates, _acme_service())
        assert differs.replace("gold", "X") == missing.replace("platinum", "X")
        # A vpn-id globex holds is refused in the words of a service the token does not see.
        held = await refused(_acme_service(vpn_id="globex-retail"))
        request = pb.GetServiceRequest(name="services/no-such-vpn")
        hidden = await rpc_error(api.services.GetService(request, metadata=api.auth("acme")))
        assert held.replace("globex-retail", "X") == (hidden.details() or "").replace(
            "no-such-vpn", "X"
        )

    run(tmp_path, scenario)


def test_a_clash_with_other_configuration_is_told_to_a_customer_without_its_values(
    tmp_path: Path,
) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        # acme's hub-and-spoke VPN "acme-retail" names its hub VRF "acme-retail-hub",
        # the VRF of the any-to-any VPN "acme-retail-hub" on the same PE.
        hub_spoke = json.loads(GLOBEX.read_text().replace("globex", "acme"))
        del hub_spoke["netsla-sla:customers"]
        any_to_any = _acme_service(vpn_id="acme-retail-hub")
        request = pb.ApplyServicesRequest(
            documents=[json.dumps(hub_spoke), json.dumps(any_to_any)], dry_run=True
        )
        told = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("acme")))
        full = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("operator")))
        assert told.code() == full.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (told.details() or "").startswith("pe1: vrf[acme-retail-hub]: description ")
        assert "netsla VPN" in (full.details() or "")  # the operator sees both values
        assert "netsla VPN" not in (told.details() or "") and "'" not in (told.details() or "")

    run(tmp_path, scenario)


# --- apply and validation -----------------------------------------------------


def test_dry_run_of_the_examples_plans_every_pe_and_stores_nothing(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        request = pb.ApplyServicesRequest(
            documents=documents(TEMPLATES, ACME, GLOBEX), dry_run=True
        )
        result = await api.services.ApplyServices(request, metadata=api.auth("operator"))
        assert result.transaction_id == 0 and result.dry_run
        assert list(result.services) == ["services/acme-corp", "services/globex-retail"]
        assert {c.device for c in result.device_changes} == {"pe1", "pe2", "pe3"}
        assert all(c.edits and ":config" in c.payload for c in result.device_changes)
        listed = await api.services.ListServices(
            pb.ListServicesRequest(parent="customers/-"), metadata=api.auth("operator")
        )
        assert list(listed.services) == []

    run(tmp_path, scenario)


def test_validation_problems_come_back_as_invalid_argument_details(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        broken = document_without(ACME, "customer-name")
        request = pb.ApplyServicesRequest(documents=[TEMPLATES.read_text(), broken], dry_run=True)
        err = await rpc_error(api.services.ApplyServices(request, metadata=api.auth("operator")))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
        raw = dict(err.trailing_metadata() or ())[DETAILS_KEY]
        status = status_pb2.Status.FromString(raw)
        problems = pb.ValidationProblems()
        assert status.details[0].Unpack(problems)
        assert problems.problems, status
        assert any("customer-name" in p.path + p.message for p in problems.problems)
        assert {p.document for p in problems.problems} <= {"documents[0]", "documents[1]"}

        not_json = pb.ApplyServicesRequest(documents=["{"], dry_run=True)
        got = await code_of(api.services.ApplyServices(not_json, metadata=api.auth("operator")))
        assert got == grpc.StatusCode.INVALID_ARGUMENT

    run(tmp_path, scenario)


def test_bad_names_and_page_tokens_are_invalid_arguments(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        operator = api.auth("operator")
        calls = [
            api.services.GetService(pb.GetServiceRequest(name="vpn/acme"), metadata=operator),
            api.sla.ListAlarms(pb.ListAlarmsRequest(parent="tenants/x"), metadata=operator),
            api.services.ListServices(
                pb.ListServicesRequest(parent="customers/-", page_token="%%%"), metadata=operator
            ),
        ]
        for call in calls:
            assert await code_of(call) == grpc.StatusCode.INVALID_ARGUMENT

    run(tmp_path, scenario)


# --- events -------------------------------------------------------------------


async def listening(api: Api, streams: int) -> None:
    """Wait until the server has registered ``streams`` event streams."""
    for _ in range(500):
        if api.server.hub.subscriber_count >= streams:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{streams} stream(s) never registered")


async def _acme_listening(api: Api, parent: str) -> Any:
    """With the examples' catalog and bindings stored, acme's stream of ``parent``, listening."""
    store_catalog(api.store)
    bind_examples(api.store)
    request = pb.StreamSlaEventsRequest(parent=parent)
    stream = api.sla.StreamSlaEvents(request, metadata=api.auth("acme"))
    await listening(api, 1)
    return stream


def _examples_store(tmp_path: Path) -> Store:
    """A store of its own with the examples' catalog and bindings."""
    store = open_store(f"sqlite:///{tmp_path / 'hub.db'}")
    store_catalog(store)
    bind_examples(store)
    return store


async def take(stream: Any, count: int, timeout: float = 10.0) -> list[pb.SlaEvent]:
    out: list[pb.SlaEvent] = []

    async def read() -> None:
        async for event in stream:
            out.append(event)
            if len(out) == count:
                return

    await asyncio.wait_for(read(), timeout)
    return out


def test_alarms_stored_by_an_sla_round_are_streamed_to_their_customer(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        store_catalog(api.store)
        bind_examples(api.store)
        request = pb.StreamSlaEventsRequest(parent="customers/-")
        acme = api.sla.StreamSlaEvents(request, metadata=api.auth("acme"))
        operator = api.sla.StreamSlaEvents(request, metadata=api.auth("operator"))
        await listening(api, 2)
        await evaluated(api)  # no samples: measurement-gap alarms are raised
        seen = await take(acme, 5)  # 3 alarms and 2 results (period, rolling) of acme
        assert all(e.cursor for e in seen)
        alarms = [e.alarm for e in seen if e.HasField("alarm")]
        assert alarms and all(a.change == pb.ALARM_CHANGE_RAISED for a in alarms)
        assert {a.customer for a in alarms} == {"customers/acme"}
        results = [e.result for e in seen if e.HasField("result")]
        assert {r.status.customer for r in results} == {"customers/acme"}
        everything = await take(operator, 10)
        customers = {e.alarm.customer or e.result.status.customer for e in everything}
        assert customers == {"customers/acme", "customers/globex"}
        acme.cancel()
        operator.cancel()

    run(tmp_path, scenario)


def test_a_stream_resumes_after_its_last_cursor_with_what_it_missed(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        first = await _acme_listening(api, "customers/acme")
        await evaluated(api)
        seen = await take(first, 5)
        first.cancel()
        # While nobody listens, delays break gold's objective: a violation is raised
        # and the delay measurement gap clears.
        late = T0_US + 600_000_000
        await evaluated(api, [delays("1", 500.0, end_us=late)], at=late)
        resumed = api.sla.StreamSlaEvents(
            pb.StreamSlaEventsRequest(parent="customers/acme", resume_cursor=seen[-1].cursor),
            metadata=api.auth("acme"),
        )
        missed = await take(resumed, 3, timeout=10)
        changes = {(e.alarm.alarm_type_id, e.alarm.change) for e in missed if e.HasField("alarm")}
        assert ("netsla-sla:sla-violation", pb.ALARM_CHANGE_RAISED) in changes
        assert ("netsla-sla:measurement-gap", pb.ALARM_CHANGE_CLEARED) in changes
        resumed.cancel()

    run(tmp_path, scenario)


def test_a_customer_cannot_stream_another_customers_events(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        request = pb.StreamSlaEventsRequest(parent="customers/globex")
        stream = api.sla.StreamSlaEvents(request, metadata=api.auth("acme"))
        assert await code_of(take(stream, 1)) == grpc.StatusCode.PERMISSION_DENIED
        bad = pb.StreamSlaEventsRequest(parent="customers/-", resume_cursor="garbage!")
        stream = api.sla.StreamSlaEvents(bad, metadata=api.auth("acme"))
        assert await code_of(take(stream, 1)) == grpc.StatusCode.INVALID_ARGUMENT

    run(tmp_path, scenario)


@pytest.mark.parametrize("service", ["Check"])
def test_health_and_reflection_are_served(tmp_path: Path, service: str) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async def scenario(api: Api) -> None:
        stub = health_pb2_grpc.HealthStub(api.channel)
        reply = await getattr(stub, service)(
            health_pb2.HealthCheckRequest(service="netsla.v1.SlaService")
        )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING

    run(tmp_path, scenario)


def test_a_stream_that_falls_behind_is_ended_and_can_resume(tmp_path: Path) -> None:
    from northbound.grpc.errors import FellBehind
    from northbound.grpc.hub import EventHub

    async def scenario() -> None:
        store = _examples_store(tmp_path)
        hub = EventHub(store, poll_interval=60, max_backlog=2)
        await hub.start()
        operator = _operator(store)
        stream = hub.subscribe(operator, None)
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)  # subscribed
        await asyncio.to_thread(lambda: live.run(store, now_us=T0_US))
        assert await hub.poll() > 2
        delivered = [await first]
        with pytest.raises(FellBehind):  # what was queued comes first, then the end
            while True:
                delivered.append(await stream.__anext__())
        assert len(delivered) == 2
        # Resuming from the last cursor delivered gives the rest, from the store.
        got = delivered[-1]
        rest = hub.subscribe(operator, got.cursor)
        replayed = [await rest.__anext__() for _ in range(3)]
        assert all(not got.cursor.covers(e) for e in replayed)
        await rest.aclose()
        await hub.stop()
        store.close()

    asyncio.run(scenario())


def test_a_stream_resumes_with_every_page_of_what_it_missed(tmp_path: Path) -> None:
    from northbound.grpc.hub import EventHub

    async def scenario() -> None:
        store = _examples_store(tmp_path)
        await asyncio.to_thread(lambda: live.run(store, now_us=T0_US))
        with store.session() as session:
            stored = len(SlaRepository(session).alarm_changes())
        assert stored > 4
        # Pages of two alarm changes: the missed changes take several reads.
        hub = EventHub(store, poll_interval=60, page_size=2)
        await hub.start()
        operator = _operator(store)
        stream = hub.subscribe(operator, Cursor())
        replayed = []
        while len(replayed) < stored:
            event = await asyncio.wait_for(stream.__anext__(), 5)
            if event.alarm is not None:
                replayed.append(event.alarm.change_id)
        assert replayed == sorted(set(replayed))
        await stream.aclose()
        await hub.stop()
        store.close()

    asyncio.run(scenario())


def test_the_stream_of_a_token_revoked_meanwhile_ends_unauthenticated(tmp_path: Path) -> None:
    async def scenario(api: Api) -> None:
        stream = await _acme_listening(api, "customers/-")
        await _revoke(api, "acme")
        await evaluated(api)  # events for acme, stored after the revocation
        err = await rpc_error(take(stream, 1))
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED
        assert api.server.hub.subscriber_count == 0

    run(tmp_path, scenario)
