"""What the SLA documents say about services: templates, tiers, customers.

``service apply`` validates the service documents together with the
netsla-sla documents they refer to: those given beside them, else the ones
the store keeps (:func:`with_stored_catalog`; every committed apply and
``sla load`` store the templates, tiers and customers they carry).  This
module reads the SLA side of that validated data (plain RFC 7951 JSON) and
answers, purely:

- which SLA template applies to a site network access: its own
  ``netsla-l3vpn-svc-ext:sla-template``, else its vpn-service's, else the
  default template of its customer's tier (the tier is the customer's
  default service level, ITU-T E.860 clause 6);
- which probe settings a template implies (``measurement``, netsla-sla);
- the SLA binding of a service once its transaction committed: customer,
  template and, per access, the probes the renderer put on its PE.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from controller.documents import (
    DocumentRefused,
    JsonDocument,
    Limits,
    XmlDocument,
    json_member,
)
from controller.render.l3sm import Access as ServiceAccess
from controller.render.l3sm import Service
from controller.render.netsla_router import probe_owner
from controller.render.resources import ProbeProfile, measured_pairs, probe_key
from controller.render.tree import Config
from controller.sla.alarms import service_resource
from controller.sla.orders import bind_many, to_us
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding
from controller.validation import Document
from controller.yangmodels import DataFormat

NAMESPACE = "urn:netsla:yang:netsla-sla"
TEMPLATES = "netsla-sla:sla-templates"
TIERS = "netsla-sla:tiers"
CUSTOMERS = "netsla-sla:customers"
L3VPN_TOP = "ietf-l3vpn-svc:l3vpn-svc"


@dataclass(frozen=True, slots=True)
class SlaCatalog:
    """The SLA side of a set of validated documents."""

    templates: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> entry
    tiers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> entry
    customers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> entry
    bound: Mapping[str, str] = field(default_factory=dict)  # service -> template bound earlier

    @property
    def tier_templates(self) -> dict[str, str]:
        """Each tier's default template."""
        return {name: entry["default-sla-template"] for name, entry in self.tiers.items()}

    @property
    def customer_tiers(self) -> dict[str, str]:
        """Each customer's tier."""
        return {name: entry["tier"] for name, entry in self.customers.items()}

    def template_for(self, service: Service, access: ServiceAccess | None = None) -> str | None:
        """The template of ``access`` (or of the service as a whole)."""
        if access is not None and access.sla_template:
            return access.sla_template
        if service.vpn.sla_template:
            return service.vpn.sla_template
        tier = self.customers.get(service.vpn.customer, {}).get("tier")
        default = self.tiers.get(tier, {}).get("default-sla-template") if tier else None
        return default or self.bound.get(service.service_id)

    def resolve(self, service: Service) -> Service:
        """``service`` with its vpn-service's template set when only its tier names one."""
        if service.vpn.sla_template:
            return service
        template = self.template_for(service)
        return replace(service, vpn=replace(service.vpn, sla_template=template))

    def probe_profiles(self) -> dict[str, ProbeProfile]:
        """Probe settings per template name (netsla-sla ``measurement``)."""
        profiles = {}
        for name, entry in self.templates.items():
            measurement = entry.get("measurement", {})
            profiles[name] = ProbeProfile(
                interval_seconds=int(measurement.get("probe-interval-seconds", 10)),
                packets=int(measurement.get("probe-packets", 10)),
                dscp=int(measurement.get("probe-dscp", 0)),
            )
        return profiles


def catalog_of(documents: Iterable[Mapping[str, Any]]) -> SlaCatalog:
    """Merge the netsla-sla parts of validated RFC 7951 documents."""
    templates: dict[str, Mapping[str, Any]] = {}
    tiers: dict[str, Mapping[str, Any]] = {}
    customers: dict[str, Mapping[str, Any]] = {}
    for document in documents:
        for entry in document.get(TEMPLATES, {}).get("sla-template", []):
            templates[entry["name"]] = entry
        for entry in document.get(TIERS, {}).get("tier", []):
            tiers[entry["name"]] = entry
        for entry in document.get(CUSTOMERS, {}).get("customer", []):
            customers[entry["name"]] = entry
    return SlaCatalog(templates=templates, tiers=tiers, customers=customers)


STORED_SOURCE = "the stored SLA catalog"
_LISTS = ((TEMPLATES, "sla-template"), (TIERS, "tier"), (CUSTOMERS, "customer"))


def stored_catalog_entries(session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    """The templates, tiers and customers the store keeps: list -> name -> entry.

    Lists: ``sla-template``, ``tier``, ``customer``.
    """
    repo = SlaRepository(session)
    return {
        "sla-template": {e["name"]: e for e in repo.template_entries()},
        "tier": {e["name"]: e for e in repo.catalog_entries("tier")},
        "customer": {e["name"]: e for e in repo.catalog_entries("customer")},
    }


def stored_document(session: Session) -> dict[str, Any]:
    """The stored templates, tiers and customers as one RFC 7951 document.

    ``sla load`` takes it back.
    """
    stored = stored_catalog_entries(session)
    return {top: {name: list(stored[name].values())} for top, name in _LISTS if stored[name]}


def with_stored_catalog(
    session: Session,
    documents: Sequence[Document],
    defined: Mapping[str, set[str]] | None = None,
) -> list[Document]:
    """``documents``, after the stored templates, tiers and customers they do not define.

    A service document may then name its customer, tier or template without
    the netsla-sla documents beside it; an entry given in ``documents``
    takes the place of the stored one of that name.  The stored entries come
    first, so that a problem in a node both hold is laid at the given
    document's door.  ``defined``: :func:`defined_entries` of ``documents``,
    when the caller has it already.
    """
    if defined is None:
        defined = defined_entries(documents)
    kept: dict[str, Any] = {}
    for top, lists in stored_document(session).items():
        for name, entries in lists.items():
            left = [e for e in entries if e["name"] not in defined.get(name, ())]
            if left:
                kept[top] = {name: left}
    if not kept:
        return list(documents)
    return [Document(json.dumps(kept), DataFormat.JSON, STORED_SOURCE), *documents]


def defined_entries(documents: Iterable[Document]) -> dict[str, set[str]]:
    """The names of the templates, tiers and customers ``documents`` define, by list."""
    found: dict[str, set[str]] = {}
    for document in documents:
        for kind, names in named_entries(document).items():
            found.setdefault(kind, set()).update(names)
    return found


def named_entries(document: Document) -> dict[str, set[str]]:
    """The names of the templates, tiers and customers a document (not yet validated) defines.

    Keyed by list: ``sla-template``, ``tier``, ``customer``.  The document
    is read as validation reads it (:mod:`controller.documents`, JSON or
    XML), leniently: one that cannot be read, or is not shaped as expected,
    defines nothing here and is reported by its validation.
    """
    if document.fmt is DataFormat.XML:
        try:
            return _xml_names(XmlDocument(_bytes(document), Limits()))
        except DocumentRefused:
            return {}
    data = _json_data(document)
    found: dict[str, set[str]] = {}
    for top, name in _LISTS:
        container = json_member(data, top)
        entries = json_member(container, name)
        for entry in entries if isinstance(entries, list) else ():
            key = json_member(entry, "name")
            if isinstance(key, str):
                found.setdefault(name, set()).add(key)
    return found


def service_customers(document: Document) -> list[tuple[str, str]]:
    """(vpn-id, customer-name) of each vpn-service of a JSON document, not yet validated.

    Read leniently, like :func:`named_entries`: what cannot be read here (a
    document that does not parse, a customer-name missing or not a string)
    is left to validation, which refuses it.
    """
    if document.fmt is not DataFormat.JSON:
        return []
    data = _json_data(document)
    services = json_member(json_member(json_member(data, L3VPN_TOP), "vpn-services"), "vpn-service")
    found = []
    for entry in services if isinstance(services, list) else ():
        customer = json_member(entry, "customer-name")
        if isinstance(customer, str):
            found.append((str(json_member(entry, "vpn-id")), customer))
    return found


def _bytes(document: Document) -> bytes:
    return document.text.encode() if isinstance(document.text, str) else document.text


def _json_data(document: Document) -> Any:
    """A JSON document's data as validation reads it; None when it cannot be read."""
    try:
        return JsonDocument(_bytes(document), Limits()).data
    except DocumentRefused:
        return None


def _xml_names(document: XmlDocument) -> dict[str, set[str]]:
    tops = {top.rpartition(":")[2]: name for top, name in _LISTS}
    found: dict[str, set[str]] = {}
    for top in document.tops:
        tag = etree.QName(top)
        name = tops.get(tag.localname) if tag.namespace == NAMESPACE else None
        if name is None:
            continue
        for entry in top.iterchildren(f"{{{NAMESPACE}}}{name}"):
            key = entry.findtext(f"{{{NAMESPACE}}}name")
            if key is not None:
                found.setdefault(name, set()).add(key.strip())
    return found


def stored_catalog(session: Session, service_ids: Iterable[str]) -> SlaCatalog:
    """The catalog the store remembers: templates stored and these services' bindings.

    Used when a change comes without SLA documents (a delete, a rollback):
    a service keeps the template it was bound to.
    """
    repo = SlaRepository(session)
    templates = {entry["name"]: entry for entry in repo.template_entries()}
    return SlaCatalog(templates=templates, bound=repo.bound_templates(service_ids))


def probes_of(service: Service, access: ServiceAccess, footprint: Config) -> tuple[str, ...]:
    """Ids of the probes ``access`` sends from its PE, read from the device footprint."""
    owners = {
        probe_owner(probe_key(service, source, target))
        for source, target in measured_pairs(service)
        if source == access
    }
    return _probe_ids(owners, footprint)


def _probe_ids(owners: set[str], footprint: Config) -> tuple[str, ...]:
    found = [
        node.keys[0]
        for node, leaves in footprint.items()
        if node.kind == "probe" and leaves.get("owner") in owners
    ]
    return tuple(sorted(found, key=int))


def accesses_of(service: Service, footprints: Mapping[str, Config]) -> list[Access]:
    """The SLA view of a service's accesses: site, PE device and port, probes.

    As :func:`probes_of` per access, with the service's measured pairs made once.
    """
    owners: dict[int, set[str]] = {id(a): set() for a in service.accesses}
    for source, target in measured_pairs(service):  # the service's own Access objects
        owners[id(source)].add(probe_owner(probe_key(service, source, target)))
    return [
        Access(
            site=access.site_id,
            device=access.device,
            port=access.port,
            probes=_probe_ids(owners[id(access)], footprints.get(access.device, {})),
        )
        for access in service.accesses
    ]


def store_catalog(repo: SlaRepository, catalog: SlaCatalog) -> None:
    """Store the catalog's templates, tiers and customers (replacing those of the same names)."""
    for name, entry in catalog.templates.items():
        repo.put_template(name, dict(entry))
    for name, entry in catalog.tiers.items():
        repo.put_catalog_entry("tier", name, dict(entry))
    for name, entry in catalog.customers.items():
        repo.put_catalog_entry("customer", name, dict(entry))


def bind_services(
    session: Session,
    services: Mapping[str, Service | None],
    footprints: Mapping[str, Mapping[str, Config]],
    catalog: SlaCatalog,
    *,
    at: datetime,
) -> None:
    """Record the SLA side of committed services: templates, bindings, unbindings."""
    repo = SlaRepository(session)
    store_catalog(repo, catalog)
    since = to_us(at)
    bindings: list[Binding] = []
    for service_id, service in services.items():
        template = catalog.template_for(service) if service is not None else None
        if service is None or template is None:
            continue
        bindings.append(
            Binding(
                service_id=service_id,
                customer=service.vpn.customer,
                template=template,
                accesses=tuple(accesses_of(service, footprints.get(service_id, {}))),
                since_us=since,
            )
        )
    bound = {b.service_id for b in bindings}
    repo.unbind_many([s for s in services if s not in bound])
    deleted = [s for s, service in services.items() if service is None]
    if deleted:
        repo.forget_services(deleted, resources=[service_resource(s) for s in deleted])
    bind_many(session, bindings)
