"""SLA alarms: conditions, severities, the warning margin, raise/de-duplicate/clear."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from live_helpers import gold, report, repository, sqlite_store, steady

from controller.sla import alarms
from controller.sla.alarms import AlarmKey, AlarmType, Condition, Severity

RESOURCE = alarms.service_resource("vpn1")


def _key(kind: AlarmType, metric: str) -> AlarmKey:
    return AlarmKey(resource=RESOURCE, alarm_type=kind, qualifier=metric)


def test_breach_with_credit_is_major_and_at_risk_is_a_warning() -> None:
    breach = alarms.conditions(RESOURCE, period=report(gold(), steady(120.0)))
    assert {k: c.severity for k, c in breach.items()} == {
        _key(AlarmType.SLA_VIOLATION, "delay-ms"): Severity.MAJOR
    }
    risk = alarms.conditions(RESOURCE, period=report(gold(), steady(80.0)))
    assert {k: c.severity for k, c in risk.items()} == {
        _key(AlarmType.SLA_AT_RISK, "delay-ms"): Severity.WARNING
    }
    # 79 ms uses 79 % of the budget: inside the 20 % margin's safe side.
    assert alarms.conditions(RESOURCE, period=report(gold(), steady(79.0))) == {}
    wider = alarms.conditions(RESOURCE, period=report(gold(), steady(79.0)), margin=Decimal("0.25"))
    assert list(wider) == [_key(AlarmType.SLA_AT_RISK, "delay-ms")]


def test_breach_without_credit_is_minor_and_capped_credit_is_critical() -> None:
    no_credit = gold(credits={"credit": []})
    found = alarms.conditions(RESOURCE, period=report(no_credit, steady(120.0)))
    assert [c.severity for c in found.values()] == [Severity.MINOR]
    # delay 10 % + availability 25 % = 35 %, capped at 30 %: both critical.
    samples = [("a", 0.0, None), ("a", 5.0, 150.0)]
    both = alarms.conditions(RESOURCE, period=report(gold(), samples))
    assert {k.qualifier: c.severity for k, c in both.items()} == {
        "delay-ms": Severity.CRITICAL,
        "availability-percent": Severity.CRITICAL,
    }


def test_rolling_window_raises_at_risk_and_no_data_is_a_gap() -> None:
    period = report(gold(), steady(10.0))
    rolling = report(gold(), steady(90.0))
    found = alarms.conditions(RESOURCE, period=period, rolling=rolling)
    assert list(found) == [_key(AlarmType.SLA_AT_RISK, "delay-ms")]
    empty = alarms.conditions(RESOURCE, period=report(gold(), []))
    assert sorted(k.qualifier for k in empty) == ["availability-percent", "delay-ms"]
    assert {k.alarm_type for k in empty} == {AlarmType.MEASUREMENT_GAP}


def test_reconcile_raises_dedupes_changes_and_clears() -> None:
    key = _key(AlarmType.SLA_VIOLATION, "delay-ms")
    major = {key: Condition(severity=Severity.MAJOR, text="delay-ms above its objective 100")}
    raised = alarms.reconcile({}, major, resources=[RESOURCE])
    assert [(c.severity, c.raised) for c in raised] == [(Severity.MAJOR, True)]
    state = {
        key: alarms.AlarmState(severity=Severity.MAJOR, text=major[key].text, is_cleared=False)
    }
    assert alarms.reconcile(state, major, resources=[RESOURCE]) == []
    critical = {key: Condition(severity=Severity.CRITICAL, text=major[key].text)}
    changed = alarms.reconcile(state, critical, resources=[RESOURCE])
    assert [(c.severity, c.raised) for c in changed] == [(Severity.CRITICAL, False)]
    cleared = alarms.reconcile(state, {}, resources=[RESOURCE])
    assert [(c.severity, c.raised) for c in cleared] == [(None, False)]
    assert alarms.reconcile(state, {}, resources=["/other"]) == []


def test_stored_alarm_keeps_its_identity_and_status_changes(tmp_path: Path) -> None:
    key = _key(AlarmType.SLA_VIOLATION, "delay-ms")
    rounds = [
        (100, {key: Condition(severity=Severity.MAJOR, text="t")}),
        (200, {key: Condition(severity=Severity.MAJOR, text="t")}),
        (300, {}),
        (400, {key: Condition(severity=Severity.MINOR, text="t")}),
    ]
    with sqlite_store(tmp_path) as store:
        for at_us, desired in rounds:
            with repository(store) as repo:
                changes = alarms.reconcile(
                    alarms.stored_states(repo), desired, resources=[RESOURCE]
                )
                alarms.apply_changes(repo, changes, at_us=at_us)
        with repository(store) as repo:
            [alarm] = repo.alarms()
            history = [(c.time_us, c.severity) for c in repo.alarm_changes()]
    assert (alarm.time_created_us, alarm.last_raised_us, alarm.last_changed_us) == (100, 400, 400)
    assert (alarm.is_cleared, alarm.severity) == (False, "minor")
    assert history == [(100, "major"), (300, "cleared"), (400, "minor")]
