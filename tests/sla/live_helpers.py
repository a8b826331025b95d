"""Builders shared by the tests of the SLA engine's live operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sla_helpers import FROM, TO, chunk, template_document, us

from controller.sla.evaluate import Period, SlaReport, evaluate
from controller.sla.template import SlaTemplate, parse_templates
from controller.store import Store, open_store
from controller.store.sla import SlaRepository


def gold(**fields: Any) -> SlaTemplate:
    """Delay 100 ms (credit 10 %), availability 99.9 % (credit 25 %), cap 30 %."""
    entry: dict[str, Any] = {
        "objectives": {"delay-ms": "100", "availability-percent": "99.9"},
        "credits": {
            "credit": [
                {"metric": "delay-ms", "credit-percent": "10"},
                {"metric": "availability-percent", "credit-percent": "25"},
            ]
        },
        "max-credit-percent": "30",
    }
    entry.update(fields)
    return parse_templates(template_document(**entry))["gold"]


def report(template: SlaTemplate, samples: list[tuple[str, float, float | None]]) -> SlaReport:
    """Evaluate ``template`` over November on samples (probe, minutes after FROM, delay)."""
    return evaluate(
        template, period=Period(start_us=us(FROM), end_us=us(TO)), samples=[chunk(samples)]
    )


def steady(delay_ms: float, *, minutes: int = 10) -> list[tuple[str, float, float | None]]:
    return [("a", float(m), delay_ms) for m in range(minutes)]


@contextmanager
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'sla.db'}")
    try:
        yield store
    finally:
        store.close()


@contextmanager
def repository(store: Store) -> Iterator[SlaRepository]:
    with store.session() as session:
        yield SlaRepository(session)
