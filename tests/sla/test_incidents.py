"""Incidents from availability events, by hand, MTTR across periods; orders; outages."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from live_helpers import gold, repository, sqlite_store
from sla_helpers import FROM, TO, us

from controller.sla import incidents, orders
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, evaluate
from controller.sla.metrics import Metric
from controller.sla.orders import to_us
from controller.store.availability import AvailabilityRepository, EventKind
from controller.store.slarecords import Access, Binding
from tests.stores import DATABASES, opened

MIN = 60_000_000
BINDING = Binding(
    service_id="vpn1",
    customer="acme",
    template="gold",
    since_us=0,
    accesses=(Access(site="s1", device="pe1", port="eth1"),),
)


def test_events_open_and_clear_incidents_of_affected_services(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        events = AvailabilityRepository(store)
        unreachable = events.open_event(
            device="pe1",
            interface="",
            reason="timeout",
            kind=EventKind.DEVICE_UNREACHABLE,
            started_us=us("2026-10-31T23:50:00Z"),
        )
        events.open_event(
            device="pe1",
            interface="eth2",
            kind=EventKind.INTERFACE_DOWN,
            reason="",
            started_us=us("2026-11-02T00:00:00Z"),
        )
        events.open_event(
            device="pe2",
            interface="",
            kind=EventKind.DEVICE_UNREACHABLE,
            reason="",
            started_us=us("2026-11-02T00:00:00Z"),
        )
        port = events.open_event(
            device="pe1",
            interface="eth1",
            kind=EventKind.INTERFACE_DOWN,
            reason="",
            started_us=us("2026-11-03T00:00:00Z"),
        )
        with repository(store) as repo:
            assert incidents.sync_from_events(repo, [BINDING], events.events()) == 2
        events.close_event(unreachable.id, ended_us=us("2026-11-01T00:20:00Z"))
        events.close_event(port.id, ended_us=us("2026-11-03T00:05:00Z"))
        with repository(store) as repo:
            assert incidents.sync_from_events(repo, [BINDING], events.events()) == 2
            assert incidents.sync_from_events(repo, [BINDING], events.events()) == 0
            found = repo.incidents(service_id="vpn1")
    assert [(i.event_id, i.opened_us, i.cleared_us) for i in found] == [
        (unreachable.id, us("2026-10-31T23:50:00Z"), us("2026-11-01T00:20:00Z")),
        (port.id, us("2026-11-03T00:00:00Z"), us("2026-11-03T00:05:00Z")),
    ]
    # MTTR through the engine: both cleared in November, 30 and 5 minutes -> 17.5;
    # the first, opened in October, counts in the period where it was cleared.
    template = gold(objectives={"mttr-minutes": "15"})
    november = evaluate(
        template,
        period=Period(start_us=us(FROM), end_us=us(TO)),
        samples=[],
        incidents=incidents.for_engine(found),
    )
    assert november.metrics[Metric.MTTR_MINUTES] == Fraction(35, 2)
    assert [v.metric for v in november.compliance.violations] == [Metric.MTTR_MINUTES]
    october = evaluate(
        template,
        period=Period(start_us=us("2026-10-01T00:00:00Z"), end_us=us(FROM)),
        samples=[],
        incidents=incidents.for_engine(found),
    )
    assert october.metrics[Metric.MTTR_MINUTES] is None


def test_incidents_by_hand(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store, repository(store) as repo:
        first = repo.open_incident(service_id="vpn1", opened_us=10 * MIN, text="ticket")
        second = repo.open_incident(service_id="vpn1", opened_us=20 * MIN)
        incidents.clear(repo, first.id, at_us=70 * MIN)
        incidents.clear(repo, second.id, at_us=30 * MIN)
        incidents.exclude(repo, second.id)
        with pytest.raises(SlaInputError, match="already cleared"):
            incidents.clear(repo, first.id, at_us=80 * MIN)
        with pytest.raises(SlaInputError, match="no such incident"):
            incidents.exclude(repo, 999)
        counted = incidents.for_engine(repo.incidents(service_id="vpn1"))
    report = evaluate(
        gold(), period=Period(start_us=0, end_us=100 * MIN), samples=[], incidents=counted
    )
    assert report.metrics[Metric.MTTR_MINUTES] == 60  # the excluded 10 minutes do not count


def test_the_first_response_ends_a_tickets_response_time(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store, repository(store) as repo:
        answered = repo.open_incident(service_id="vpn1", opened_us=10 * MIN)
        restored = repo.open_incident(service_id="vpn1", opened_us=20 * MIN)
        waiting = repo.open_incident(service_id="vpn1", opened_us=90 * MIN)
        incidents.respond(repo, answered.id, at_us=25 * MIN)
        incidents.clear(repo, answered.id, at_us=70 * MIN)
        incidents.clear(repo, restored.id, at_us=60 * MIN)  # restored unanswered: 40 min
        with pytest.raises(SlaInputError, match="already responded to"):
            incidents.respond(repo, answered.id, at_us=30 * MIN)
        with pytest.raises(SlaInputError, match="before it was opened"):
            incidents.respond(repo, waiting.id, at_us=80 * MIN)
        with pytest.raises(SlaInputError, match="no such incident"):
            incidents.respond(repo, 999, at_us=80 * MIN)
        assert repo.incident(answered.id).responded_us == 25 * MIN  # type: ignore[union-attr]
        counted = incidents.for_engine(repo.incidents(service_id="vpn1"))

    def response(end: int, as_of: int | None = None) -> object:
        period = Period(start_us=0, end_us=end * MIN)
        at = None if as_of is None else as_of * MIN
        report = evaluate(gold(), period=period, samples=[], incidents=counted, as_of_us=at)
        return report.metrics[Metric.TICKET_RESPONSE_MINUTES]

    assert response(85) == 40  # 15 (answered) and 40 (restored); the third not yet opened
    assert response(150) == 60  # the unanswered one has waited 60 minutes by the end
    assert response(150, as_of=140) == 50  # evaluated before the period's end: until then
    assert response(150, as_of=120) == 40  # 30 minutes so far: the restored one's 40 leads


def test_orders_keep_first_submission_and_first_delivery(tmp_path: Path) -> None:
    day = datetime(2026, 11, 2, tzinfo=UTC)
    with sqlite_store(tmp_path) as store:
        with store.session() as session:
            orders.record_ordered(session, service_id="vpn1", at=day)
            orders.record_ordered(session, service_id="vpn1", at=day.replace(day=5))
            orders.record_delivered(session, service_id="vpn1", at=day.replace(day=5, hour=12))
            orders.record_delivered(session, service_id="vpn1", at=day.replace(day=9))
            orders.record_delivered(session, service_id="vpn2", at=day.replace(day=4))
        with repository(store) as repo:
            stored = [repo.order("vpn1"), repo.order("vpn2")]
    got = orders.for_engine([o for o in stored if o is not None])
    report = evaluate(
        gold(), period=Period(start_us=us(FROM), end_us=us(TO)), samples=[], orders=got
    )
    assert report.metrics[Metric.PROVISIONING_DAYS] == Fraction(7, 2)  # 2nd 00:00 to 5th 12:00


@pytest.mark.parametrize("kind", DATABASES)
def test_orders_of_many_services_in_one_call(kind: str, tmp_path: Path) -> None:
    day = datetime(2026, 11, 2, tzinfo=UTC)
    with opened(kind, tmp_path) as store:
        with store.session() as session:
            orders.record_ordered_many(session, service_ids=["a", "b"], at=day)
            orders.record_delivered_many(session, service_ids=["a"], at=day.replace(day=3))
            # b keeps its order time, c is new; a keeps its first delivery
            orders.record_ordered_many(session, service_ids=["b", "c", "c"], at=day.replace(day=4))
            done = orders.record_delivered_many(
                session, service_ids=["a", "b", "d"], at=day.replace(day=6)
            )
        with (
            pytest.raises(SlaInputError, match="delivered before ordered"),
            store.session() as session,
        ):
            orders.record_delivered_many(session, service_ids=["c"], at=day)
        with repository(store) as repo:
            stored = {s: repo.order(s) for s in "abcd"}
    assert done["a"].delivered_us == to_us(day.replace(day=3))
    assert {s: (o.ordered_us, o.delivered_us) for s, o in stored.items() if o} == {
        "a": (to_us(day), to_us(day.replace(day=3))),
        "b": (to_us(day), to_us(day.replace(day=6))),
        "c": (to_us(day.replace(day=4)), None),
        "d": (to_us(day.replace(day=6)), to_us(day.replace(day=6))),  # delivered unordered: zero
    }


def test_outages_make_intervals_unavailable_past_the_y1540_threshold() -> None:
    start = us(FROM)
    # 240 s of 300 down: 48 of 60 virtual packets lost, 0.8 > 0.75: unavailable.
    # 225 s of 300 down: 45 of 60 lost, exactly 0.75: still available.
    spans = [
        incidents.Outage(start_us=start, end_us=start + 240_000_000, event_id=1),
        incidents.Outage(
            start_us=start + 5 * MIN, end_us=start + 5 * MIN + 225_000_000, event_id=2
        ),
    ]
    chunk = incidents.outage_chunk(spans, start_us=start, end_us=start + 15 * MIN)
    assert len(chunk) == 180
    report = evaluate(gold(), period=Period(start_us=start, end_us=us(TO)), samples=[chunk])
    assert report.metrics[Metric.AVAILABILITY_PERCENT] == Fraction(200, 3)
