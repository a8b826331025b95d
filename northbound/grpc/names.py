"""Resource names and page tokens of the netsla.v1 API (pure).

Names follow the Google API design guide: ``customers/{customer}`` with the
wildcard ``customers/-`` for every customer (AIP-159), ``services/{service}``
and the singleton ``services/{service}/slaStatus`` (AIP-156).  A page token
(AIP-158) is the opaque, URL-safe encoding of the last key a page held;
the next page starts after it, so pages stay right while entries come and go.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from northbound.grpc.errors import BadRequest

T = TypeVar("T")

CUSTOMERS = "customers"
SERVICES = "services"
WILDCARD = "-"
SLA_STATUS = "slaStatus"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def customer_name(customer: str) -> str:
    return f"{CUSTOMERS}/{customer}"


def service_name(service_id: str) -> str:
    return f"{SERVICES}/{service_id}"


def sla_status_name(service_id: str) -> str:
    return f"{SERVICES}/{service_id}/{SLA_STATUS}"


def parse_parent(parent: str) -> str | None:
    """The customer of ``customers/{customer}``; None for ``customers/-`` or an empty parent."""
    if parent in ("", f"{CUSTOMERS}/{WILDCARD}"):
        return None
    parts = parent.split("/")
    if len(parts) != 2 or parts[0] != CUSTOMERS or not parts[1]:
        raise BadRequest(f"parent {parent!r} is not customers/{{customer}} or customers/-")
    return parts[1]


def parse_service(name: str, *, sla_status: bool = False) -> str:
    """The service id of ``services/{service}`` (or of ``.../slaStatus`` when allowed)."""
    parts = name.split("/")
    if sla_status and len(parts) == 3 and parts[2] == SLA_STATUS:
        parts = parts[:2]
    if len(parts) != 2 or parts[0] != SERVICES or not parts[1] or parts[1] == WILDCARD:
        shape = "services/{service}" + ("[/slaStatus]" if sla_status else "")
        raise BadRequest(f"name {name!r} is not {shape}")
    return parts[1]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode(token: str) -> str:
    padded = token + "=" * (-len(token) % 4)
    try:
        key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = ""
    if not key:
        raise BadRequest(f"page_token {token!r} was not handed out by this API")
    return key


def paginate(items: Sequence[T], *, key: Callable[[T], str], size: int, token: str) -> Page[T]:
    """One page of ``items`` (sorted by ``key``) after the key a page token holds."""
    if size < 0:
        raise BadRequest("page_size must not be negative")
    size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    after = _decode(token) if token else None
    rest = [item for item in items if after is None or key(item) > after]
    page = rest[:size]
    next_token = _encode(key(page[-1])) if len(rest) > size else ""
    return Page(items=page, next_token=next_token)
