"""Bindings written in bulk by service apply: created, replaced (first time kept), dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_helpers import repository

from controller.sla import orders
from controller.sla.catalog import stored_catalog
from controller.store.slarecords import Access, Binding
from tests.stores import DATABASES, opened


def _binding(service_id: str, template: str, since_us: int) -> Binding:
    access = Access(site=f"{service_id}-0", device="pe1", port="eth1", probes=("1",))
    return Binding(
        service_id=service_id,
        customer="acme",
        template=template,
        accesses=(access,),
        since_us=since_us,
    )


@pytest.mark.parametrize("kind", DATABASES)
def test_bindings_in_bulk_keep_their_first_time(kind: str, tmp_path: Path) -> None:
    with opened(kind, tmp_path) as store:
        with store.session() as session:
            orders.bind_many(session, [_binding("a", "gold", 10), _binding("b", "gold", 10)])
        with store.session() as session:
            orders.bind_many(session, [_binding("b", "silver", 20), _binding("c", "gold", 20)])
        with repository(store) as repo:
            repo.unbind_many(["a", "x"])
        with repository(store) as repo:
            found = {b.service_id: (b.template, b.since_us, b.probes) for b in repo.bindings()}
    assert found == {"b": ("silver", 10, ("1",)), "c": ("gold", 20, ("1",))}


@pytest.mark.parametrize("kind", DATABASES)
def test_the_stored_catalog_remembers_the_template_each_service_is_bound_to(
    kind: str, tmp_path: Path
) -> None:
    # A change without SLA documents (a delete, a rollback) keeps its service's template.
    with opened(kind, tmp_path) as store:
        with store.session() as session:
            orders.bind_many(session, [_binding("a", "gold", 10), _binding("b", "silver", 10)])
        with store.session() as session:
            catalog = stored_catalog(session, ["b", "x"])
    assert catalog.bound == {"b": "silver"}
