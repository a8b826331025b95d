"""Live evaluation over stored data: results per period and rolling window, alarms, incidents."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from live_helpers import repository, sqlite_store
from sla_helpers import FROM, chunk, us

from controller.sla import alarms, live, opstate, status
from controller.sla.catalog import SlaCatalog, bind_services
from controller.sla.metrics import Metric
from controller.sla.template import Period as MeasurementPeriod
from controller.store import Store
from controller.store.availability import AvailabilityRepository, EventKind
from controller.store.probes import ProbePacket, ProbePacketRepository
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding, OrderRecord
from controller.validation import validate_document
from controller.yangmodels import DataFormat
from tests.stores import DATABASES, opened

MIN = 60_000_000
ENTRY = {
    "name": "gold",
    "objectives": {"delay-ms": "100", "availability-percent": "99"},
    "credits": {"credit": [{"metric": "availability-percent", "credit-percent": "10"}]},
}
BINDING = Binding(
    service_id="vpn1",
    customer="acme",
    template="gold",
    since_us=us(FROM),
    accesses=(Access(site="s1", device="pe1", port="eth1", probes=("s1-s2",)),),
)


def test_calendar_periods() -> None:
    at = us("2026-11-26T13:00:00Z")  # a Thursday
    month = live.calendar_period(MeasurementPeriod.MONTH, at)
    assert (month.start_us, month.end_us) == (us(FROM), us("2026-12-01T00:00:00Z"))
    week = live.calendar_period(MeasurementPeriod.WEEK, at)
    assert (week.start_us, week.end_us) == (us("2026-11-23T00:00:00Z"), us("2026-11-30T00:00:00Z"))
    december = live.calendar_period(MeasurementPeriod.MONTH, us("2026-12-31T23:59:59Z"))
    assert december.end_us == us("2027-01-01T00:00:00Z")
    assert live.month_period("2026-11") == month


def _pe1_down_first_20_minutes(store: Store) -> None:
    events = AvailabilityRepository(store)
    down = events.open_event(
        device="pe1",
        interface="",
        kind=EventKind.DEVICE_UNREACHABLE,
        reason="timeout",
        started_us=us(FROM),
    )
    events.close_event(down.id, ended_us=us(FROM) + 20 * MIN)


def test_round_evaluates_stores_and_alarms(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(BINDING)
        # pe1 unreachable for the first 20 minutes of November: 4 of 24 intervals down.
        _pe1_down_first_20_minutes(store)
        # Delay 50 ms for 40 minutes, then 90 ms for an hour: the period's mean is
        # 74 ms (74 % of the budget), the last hour's 90 ms (past the 20 % margin).
        probe = chunk(
            [("s1-s2", float(m), 50.0 if m < 60 else 90.0) for m in range(20, 120)]
            + [("other", 1.0, 500.0)]
        )
        now = us(FROM) + 120 * MIN
        [outcome] = live.run(store, now_us=now, samples=[probe])
        assert outcome.period is not None
        assert outcome.period.metrics[Metric.AVAILABILITY_PERCENT] == Fraction(500, 6)
        assert outcome.period.metrics[Metric.DELAY_MS] == 74  # "other" is not this service's
        assert outcome.period.metrics[Metric.MTTR_MINUTES] == 20
        assert outcome.health_score == 0
        with repository(store) as repo:
            kinds = {(a.alarm_type_id, a.qualifier, a.severity) for a in repo.alarms()}
            [incident] = repo.incidents(service_id="vpn1")
            results = {r.window: r for r in repo.results(service_id="vpn1")}
        assert kinds == {
            (alarms.AlarmType.SLA_VIOLATION, "availability-percent", "major"),
            (alarms.AlarmType.SLA_AT_RISK, "delay-ms", "warning"),
        }
        assert (incident.opened_us, incident.cleared_us) == (us(FROM), us(FROM) + 20 * MIN)
        assert results["period"].credit_percent == "10"
        assert results["period"].document["unavailable-intervals"] == 4
        assert results["rolling"].start_us == now - 60 * MIN
        # Two hours later, no probe data in the rolling window: the at-risk alarm
        # clears; the period's breach stays raised, de-duplicated.
        live.run(store, now_us=now + 120 * MIN, samples=[probe])
        with repository(store) as repo:
            state = {(a.alarm_type_id, a.is_cleared) for a in repo.alarms()}
            changes = len(repo.alarm_changes())
            rolling = repo.results(service_id="vpn1", window="rolling")
        assert state == {
            (alarms.AlarmType.SLA_VIOLATION, False),
            (alarms.AlarmType.SLA_AT_RISK, True),
        }
        assert changes == 3
        assert len(rolling) == 1


def test_missing_template_is_reported_and_others_still_run(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(BINDING)
            repo.bind(
                Binding(
                    service_id="vpn2", customer="acme", template="silver", since_us=0, accesses=()
                )
            )
        outcomes = live.run(store, now_us=us(FROM) + 10 * MIN)
    assert [(o.binding.service_id, o.problem) for o in outcomes] == [
        ("vpn1", None),
        ("vpn2", "no sla-template 'silver'"),
    ]


def test_stored_results_and_alarms_are_valid_netsla_sla_state(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(BINDING)
        probe = chunk([("s1-s2", float(m), 150.0) for m in range(30)])
        live.run(store, now_us=us(FROM) + 40 * MIN, samples=[probe])
        live.run(store, now_us=us(FROM) + 50 * MIN, samples=[probe])
        with repository(store) as repo:
            periods = opstate.sla_periods(repo.results())
            alarm_list = opstate.alarm_list(repo.alarms(), repo.alarm_changes())
    document = json.loads(Path("examples/sla-templates.json").read_text(encoding="utf-8"))
    document["netsla-sla:customers"] = {"customer": [{"name": "acme", "tier": "gold"}]}
    document["netsla-sla:customers"]["customer"][0].update(
        periods["netsla-sla:customers"]["customer"][0]
    )
    document.update(alarm_list)
    result = validate_document(json.dumps(document), fmt=DataFormat.JSON, allow_state=True)
    assert result.problems == ()
    [period] = document["netsla-sla:customers"]["customer"][0]["sla-periods"]["period"]
    assert period["measured"]["delay-ms"] == "150"
    assert period["violation"] == [{"metric": "delay-ms", "objective": "100", "measured": "150"}]
    assert alarm_list["netsla-sla:alarms"]["alarm-list"]["number-of-alarms"] == 1


def _round_with_alarms(store: Store) -> int:
    """Bind BINDING, make it breach (pe1 down 20 minutes) and run a round; the round's time."""
    with repository(store) as repo:
        repo.put_template("gold", ENTRY)
        repo.bind(BINDING)
        repo.put_order(OrderRecord(service_id="vpn1", ordered_us=us(FROM), delivered_us=None))
    _pe1_down_first_20_minutes(store)
    now = us(FROM) + 120 * MIN
    live.run(store, now_us=now)
    return now


def _records_of(store: Store, service_id: str) -> list[object]:
    resource = alarms.service_resource(service_id)
    with repository(store) as repo:
        return [
            *repo.results(service_id=service_id),
            *repo.incidents(service_id=service_id),
            *([repo.order(service_id)] if repo.order(service_id) else []),
            *[a for a in repo.alarms() if a.resource == resource],
            *repo.alarm_changes(resource=resource),
        ]


@pytest.mark.parametrize("kind", DATABASES)
def test_a_deleted_service_leaves_nothing_to_a_service_that_reuses_its_id(
    kind: str, tmp_path: Path
) -> None:
    with opened(kind, tmp_path) as store:
        now = _round_with_alarms(store)
        assert len(_records_of(store, "vpn1")) >= 6  # results, incident, order, alarms, history
        with store.session() as session:
            bind_services(session, {"vpn1": None}, {}, SlaCatalog(), at=datetime.now(UTC))
        assert _records_of(store, "vpn1") == []
        # Another customer's vpn1, bound now: nothing of the old one reaches it.
        reused = replace(BINDING, customer="globex", since_us=now)
        with repository(store) as repo:
            repo.bind(reused)
        assert status.service_status(store, "vpn1") == status.ServiceSla(
            service_id="vpn1",
            customer="globex",
            template="gold",
            result=None,
            entry=None,
            active_alarms=0,
        )
        assert status.alarms(store, active_only=False) == []


def test_probe_packets_from_before_the_binding_are_not_the_services(tmp_path: Path) -> None:
    start = us(FROM) + 60 * MIN
    with sqlite_store(tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(replace(BINDING, since_us=start))
        # One packet of an earlier service's probe of that name (900 ms), then ours (20 ms).
        ProbePacketRepository(store).write(
            [
                ProbePacket(
                    device="pe1", owner="netsla", test="s1-s2", seq=seq, sent_us=at, delay_ms=delay
                )
                for seq, at, delay in ((1, start - 30 * MIN, 900.0), (2, start + 10 * MIN, 20.0))
            ]
        )
        [outcome] = live.run(store, now_us=start + 20 * MIN)
    assert outcome.period is not None
    assert outcome.period.metrics[Metric.DELAY_MS] == 20


@pytest.mark.parametrize("kind", DATABASES)
def test_a_round_takes_back_what_it_wrote_for_a_service_deleted_meanwhile(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with opened(kind, tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
        # The round read vpn1's binding just before a delete committed.
        reads = iter([[BINDING]])
        original = SlaRepository.bindings

        def stale_first(self: SlaRepository, **kwargs: Any) -> list[Binding]:
            return next(reads, None) or original(self, **kwargs)

        monkeypatch.setattr(SlaRepository, "bindings", stale_first)
        [outcome] = live.run(store, now_us=us(FROM) + 120 * MIN)
        assert outcome.period is not None  # evaluated and written, then taken back
        assert _records_of(store, "vpn1") == []


def test_an_outage_over_before_the_binding_opens_no_incident(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        _pe1_down_first_20_minutes(store)
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(replace(BINDING, since_us=us(FROM) + 20 * MIN))
        [outcome] = live.run(store, now_us=us(FROM) + 120 * MIN)
        assert outcome.period is not None
        assert outcome.period.metrics[Metric.MTTR_MINUTES] is None
        with repository(store) as repo:
            assert repo.incidents(service_id="vpn1") == []


@pytest.mark.postgres
def test_a_delete_during_a_round_waits_for_it_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with opened("postgresql", tmp_path) as store:
        with repository(store) as repo:
            repo.put_template("gold", ENTRY)
            repo.bind(BINDING)
        written, deleting, deleted = threading.Event(), threading.Event(), threading.Event()
        forget = live._forget_unbound

        def paused(repo: SlaRepository, evaluated: Any) -> None:
            written.set()  # the round's results and alarms are written, not committed
            assert deleting.wait(10)
            assert not deleted.wait(0.5)  # the delete waits for the round
            forget(repo, evaluated)

        def delete() -> None:
            assert written.wait(10)
            deleting.set()
            with store.session() as session:
                bind_services(session, {"vpn1": None}, {}, SlaCatalog(), at=datetime.now(UTC))
            deleted.set()

        monkeypatch.setattr(live, "_forget_unbound", paused)
        with ThreadPoolExecutor(1) as pool:
            deleting_thread = pool.submit(delete)
            [outcome] = live.run(store, now_us=us(FROM) + 120 * MIN)
            deleting_thread.result(timeout=10)
        assert outcome.period is not None
        assert _records_of(store, "vpn1") == []
