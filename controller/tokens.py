"""API tokens of the northbound: minted, checked and revoked; stored only as digests.

A token reads ``nsla_<id>_<secret>``: ``id`` (16 hex digits) is public and
names the stored entry, ``secret`` is 32 random bytes (RFC 4648 section 5
base64url, no padding).  The store keeps a random 16-byte salt per token and
SHA-256(salt || secret) (FIPS 180-4); with 256 bits of entropy in the
secret a slow password hash adds nothing but latency to every call.
Digests are compared in constant time (:func:`hmac.compare_digest`).

Each token is bound to a role (RFC 6750 bearer tokens carry no scope of
their own): :attr:`Role.OPERATOR` sees and changes everything,
:attr:`Role.CUSTOMER` only the services, SLAs, alarms and events of its
customer.  A token is shown once, when it is created; nothing here logs it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from controller.errors import ControllerError, InputError
from controller.store import Store
from controller.store.tokens import TokenRecord, TokenRepository

PREFIX = "nsla"
_ID_BYTES = 8
_SECRET_BYTES = 32
_SALT_BYTES = 16
_TOKEN = re.compile(r"^nsla_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Role(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"


class InvalidToken(ControllerError):
    """A token that is malformed, unknown or revoked (the reason is not told to callers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who a valid token speaks for."""

    token_id: str
    role: Role
    customer: str | None = None

    def sees(self, customer: str) -> bool:
        """May this principal read and change what belongs to ``customer``?"""
        return self.role is Role.OPERATOR or customer == self.customer

    @property
    def scope(self) -> str | None:
        """The only customer this principal sees (None: every customer)."""
        return None if self.role is Role.OPERATOR else self.customer


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedToken:
    """A freshly minted token: the text to hand out once, and what to store."""

    text: str
    record: TokenRecord


def digest(salt: bytes, secret: str) -> str:
    return hashlib.sha256(salt + secret.encode("ascii")).hexdigest()


def mint(*, role: Role, customer: str | None, description: str, now_us: int) -> IssuedToken:
    """A new random token and the record that stores its digest (pure but for randomness)."""
    if (role is Role.CUSTOMER) != bool(customer):
        raise InputError("a customer token names exactly one customer; an operator token none")
    token_id = secrets.token_hex(_ID_BYTES)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(_SECRET_BYTES)).rstrip(b"=").decode()
    salt = secrets.token_bytes(_SALT_BYTES)
    record = TokenRecord(
        token_id=token_id,
        role=role.value,
        customer=customer if role is Role.CUSTOMER else None,
        salt=salt.hex(),
        digest=digest(salt, secret),
        description=description,
        created_us=now_us,
        revoked_us=None,
    )
    return IssuedToken(text=f"{PREFIX}_{token_id}_{secret}", record=record)


def parse(text: str) -> tuple[str, str]:
    """``(id, secret)`` of a token's text; :class:`InvalidToken` when it is malformed."""
    match = _TOKEN.match(text)
    if match is None:
        raise InvalidToken("malformed token")
    return match.group(1), match.group(2)


def check(record: TokenRecord | None, secret: str) -> Principal:
    """The principal of a stored token whose secret matches; :class:`InvalidToken` otherwise."""
    if record is None:
        raise InvalidToken("unknown token")
    expected = digest(bytes.fromhex(record.salt), secret)
    if not hmac.compare_digest(expected, record.digest):
        raise InvalidToken("wrong secret")
    if record.revoked_us is not None:
        raise InvalidToken("revoked token")
    return Principal(token_id=record.token_id, role=Role(record.role), customer=record.customer)


def _now_us() -> int:
    return time.time_ns() // 1000


class Tokens:
    """API tokens over a store: create, list, revoke, authenticate."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self, *, role: Role, customer: str | None = None, description: str = ""
    ) -> IssuedToken:
        issued = mint(role=role, customer=customer, description=description, now_us=_now_us())
        with self.store.session() as session:
            TokenRepository(session).add(issued.record)
        return issued

    def list(self) -> list[TokenRecord]:
        with self.store.session() as session:
            return TokenRepository(session).tokens()

    def revoke(self, token_id: str) -> TokenRecord:
        with self.store.session() as session:
            record = TokenRepository(session).revoke(token_id, at_us=_now_us())
        if record is None:
            raise InputError(f"no token {token_id!r}")
        return record

    def revoked_among(self, token_ids: Iterable[str]) -> set[str]:
        """Those of ``token_ids`` that no longer authenticate (revoked, or gone)."""
        wanted = set(token_ids)
        if not wanted:
            return set()
        with self.store.session() as session:
            return wanted - TokenRepository(session).live_ids(wanted)

    def authenticate(self, text: str) -> Principal:
        token_id, secret = parse(text)
        with self.store.session() as session:
            record = TokenRepository(session).get(token_id)
        return check(record, secret)
