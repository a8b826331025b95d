"""SNMP poller: GETBULK walks of table columns over one pysnmp 7 engine.

The poller keeps one :class:`SnmpEngine` for its whole life (a new engine per
poll costs about 0.2 s), never resolves names through MIBs (numeric OIDs
only, see :mod:`southbound.oids`) and talks to pysnmp's RFC 3413 command
generators directly, so that neither requests nor responses pass through the
MIB view.  It returns plain Python data: ``int`` for INTEGER, Counter,
Gauge and TimeTicks values, ``bytes`` for OCTET STRING and IpAddress, and
dotted ``str`` for OBJECT IDENTIFIER values.

Security: SNMPv2c communities (RFC 3584) and SNMPv3 USM with authPriv
(RFC 3414 with HMAC-SHA-96; RFC 3826 AES-128-CFB).  pysnmp keeps one key set
per USM user name for agents it has not discovered yet, so devices whose
credentials differ get engines of their own (one per credential set, kept
for the poller's life): one device's wrong keys never replace the keys used
for the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio.auth import (
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC192_SHA256,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB256_AES,
)
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.proto import errind, rfc1902, rfc1905

from southbound import oids
from southbound.errors import SouthboundError
from southbound.snmp_endpoint import (
    AuthProtocol,
    Community,
    PrivProtocol,
    SnmpEndpoint,
    UsmUser,
)

__all__ = [
    "Index",
    "SnmpAuthError",
    "SnmpEndpoint",
    "SnmpError",
    "SnmpPoller",
    "SnmpProtocolError",
    "SnmpTimeout",
    "SnmpValue",
    "TableWalk",
    "plain_value",
]

SnmpValue = int | bytes | str
"""A value as plain data: integers, octet strings, or OIDs in dotted form."""

Index = tuple[int, ...]
"""The instance part of a table cell's OID (after the column's OID)."""


class SnmpError(SouthboundError):
    """An SNMP request to one device failed."""

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.reason = message


class SnmpTimeout(SnmpError, TimeoutError):
    """The agent did not answer within the timeout and its retries."""


class SnmpAuthError(SnmpError):
    """The agent refused our credentials (RFC 3414 section 3.2: usmStats reports)."""


class SnmpProtocolError(SnmpError):
    """The agent answered with an error status, or with a broken response."""


_AUTH = {AuthProtocol.SHA: USM_AUTH_HMAC96_SHA, AuthProtocol.SHA256: USM_AUTH_HMAC192_SHA256}
_PRIV = {PrivProtocol.AES: USM_PRIV_CFB128_AES, PrivProtocol.AES256: USM_PRIV_CFB256_AES}

_AUTH_FAILURES = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.DecryptionError,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.UnknownCommunityName,
)


@dataclass(frozen=True, kw_only=True)
class TableWalk:
    """The cells of some table columns, read with GETBULK.

    ``uptime`` is the agent's sysUpTime (hundredths of a second) read in the
    walk's first request, and ``received_at`` the wall-clock time (seconds
    since the epoch) when that first response arrived.
    """

    uptime: int | None
    received_at: float
    columns: dict[str, dict[Index, SnmpValue]]
    requests: int
    values: int


def plain_value(value: Any) -> SnmpValue | None:
    """A pysnmp value as plain data; ``None`` for noSuchObject/Instance, endOfMibView."""
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView):
        return None
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(part) for part in value)
    if isinstance(value, univ.Null):
        return None
    raise TypeError(f"unexpected SNMP value type {type(value).__name__}")


class SnmpPoller:
    """Reads table columns and scalars from many agents through one engine."""

    def __init__(self) -> None:
        self._engines: dict[Community | UsmUser | None, SnmpEngine] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._targets: dict[SnmpEndpoint, UdpTransportTarget] = {}

    async def close(self) -> None:
        """Close every engine's sockets, then its dispatcher.

        A reply read from a socket is handed to pysnmp's dispatcher by a
        callback the event loop runs next; one read just before the close
        (say, the reply to a poll that was cancelled) would reach a
        dispatcher whose transports were unregistered and raise in the loop.
        So the sockets close first (nothing more is read), the loop runs
        what is already queued, and only then is each dispatcher closed.
        """
        engines, self._engines = list(self._engines.values()), {}
        domains = {target.TRANSPORT_DOMAIN for target in self._targets.values()}
        self._targets.clear()
        dispatchers = [e.transport_dispatcher for e in engines if e.transport_dispatcher]
        for dispatcher in dispatchers:
            for domain in domains:
                transport = dispatcher.get_transport(domain)
                if transport is not None:
                    transport.close_transport()
        for _ in range(2):  # callbacks queued by reads of this and the previous loop pass
            await asyncio.sleep(0)
        for dispatcher in dispatchers:
            dispatcher.close_dispatcher()

    def _engine(self, endpoint: SnmpEndpoint) -> SnmpEngine:
        # Communities never clash inside one engine; USM users may.
        key = endpoint.security if isinstance(endpoint.security, UsmUser) else None
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = SnmpEngine()
        return engine

    async def walk(
        self,
        endpoint: SnmpEndpoint,
        columns: Sequence[str],
        *,
        with_uptime: bool = True,
        max_repetitions: int = 32,
        starts: Mapping[str, Index] | None = None,
    ) -> TableWalk:
        """Every cell of ``columns`` (dotted column OIDs, or any subtrees) of one agent.

        All columns advance together in each GETBULK (RFC 3416 section 4.2.3),
        ``max_repetitions`` rows at a time; sysUpTime rides along as a
        non-repeater of the first request.  ``starts`` gives some columns an
        index to start after: only the cells past it are read.
        """
        engine, addr = await self._configure(endpoint)
        prefixes = {column: oids.oid_tuple(column) for column in columns}
        after = starts or {}
        cursors = {
            column: prefix + tuple(after.get(column, ())) for column, prefix in prefixes.items()
        }
        cells: dict[str, dict[Index, SnmpValue]] = {column: {} for column in columns}
        uptime: int | None = None
        received_at = 0.0
        requests = values = 0
        while cursors:
            active = list(cursors)
            first = requests == 0 and with_uptime
            request = ([oids.oid_tuple(oids.SYS_UP_TIME)] if first else []) + [
                cursors[c] for c in active
            ]
            reply = await self._bulk(
                endpoint,
                engine=engine,
                addr=addr,
                request=request,
                non_repeaters=1 if first else 0,
                max_repetitions=max_repetitions,
            )
            requests += 1
            if requests == 1:
                received_at = time.time()
            if first:
                uptime = _first_uptime(reply[:1])
                reply = reply[1:]
            values += _advance(reply, active, prefixes, cursors, cells)
        return TableWalk(
            uptime=uptime, received_at=received_at, columns=cells, requests=requests, values=values
        )

    async def get(self, endpoint: SnmpEndpoint, names: Sequence[str]) -> dict[str, SnmpValue]:
        """GET of scalar instances (dotted OIDs); absent objects are left out."""
        engine, addr = await self._configure(endpoint)
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        cmdgen.GetCommandGenerator().send_varbinds(
            engine,
            addr,
            None,
            b"",
            [(rfc1902.ObjectName(oids.oid_tuple(n)), univ.Null("")) for n in names],
            _complete,
            future,
        )
        reply = _checked(endpoint, await future)
        result: dict[str, SnmpValue] = {}
        for name, value in reply:
            plain = plain_value(value)
            if plain is not None:
                result[".".join(str(p) for p in name)] = plain
        return result

    async def _bulk(
        self,
        endpoint: SnmpEndpoint,
        *,
        engine: SnmpEngine,
        addr: str,
        request: list[tuple[int, ...]],
        non_repeaters: int,
        max_repetitions: int,
    ) -> list[tuple[tuple[int, ...], Any]]:
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        cmdgen.BulkCommandGenerator().send_varbinds(
            engine,
            addr,
            None,
            b"",
            non_repeaters,
            max_repetitions,
            [(rfc1902.ObjectName(oid), univ.Null("")) for oid in request],
            _complete,
            future,
        )
        return [(tuple(name), value) for name, value in _checked(endpoint, await future)]

    async def _configure(self, endpoint: SnmpEndpoint) -> tuple[SnmpEngine, str]:
        engine = self._engine(endpoint)
        target = self._targets.get(endpoint)
        if target is None:
            target = await UdpTransportTarget.create(
                (endpoint.host, endpoint.port), timeout=endpoint.timeout, retries=endpoint.retries
            )
            self._targets[endpoint] = target
        addr_name, _params = self._lcd.configure(engine, _auth_data(endpoint), target)
        return engine, str(addr_name)


def _auth_data(endpoint: SnmpEndpoint) -> CommunityData | UsmUserData:
    security = endpoint.security
    if isinstance(security, Community):
        return CommunityData(security.community, mpModel=1)
    return UsmUserData(
        security.user,
        security.auth_key,
        security.priv_key,
        authProtocol=_AUTH[security.auth_protocol],
        privProtocol=_PRIV[security.priv_protocol],
    )


def _complete(
    _engine: SnmpEngine,
    _handle: int,
    error_indication: Any,
    error_status: Any,
    error_index: Any,
    var_binds: Any,
    future: asyncio.Future[tuple[Any, ...]],
) -> None:
    if not future.cancelled():
        future.set_result((error_indication, error_status, error_index, var_binds))


def _checked(endpoint: SnmpEndpoint, outcome: tuple[Any, ...]) -> Sequence[tuple[Any, Any]]:
    error_indication, error_status, error_index, var_binds = outcome
    device = endpoint.device
    if isinstance(error_indication, errind.RequestTimedOut):
        raise SnmpTimeout(
            device,
            f"no SNMP answer from {endpoint.host}:{endpoint.port} "
            f"within {endpoint.timeout:g} s x {endpoint.retries + 1}",
        )
    if isinstance(error_indication, _AUTH_FAILURES):
        raise SnmpAuthError(device, f"SNMP credentials refused: {error_indication}")
    if error_indication:
        raise SnmpProtocolError(device, f"SNMP error: {error_indication}")
    if error_status and int(error_status):
        raise SnmpProtocolError(
            device, f"SNMP error-status {error_status.prettyPrint()} at index {int(error_index)}"
        )
    return list(var_binds)


def _first_uptime(reply: Sequence[tuple[tuple[int, ...], Any]]) -> int | None:
    for name, value in reply:
        if name == oids.oid_tuple(oids.SYS_UP_TIME_0):
            plain = plain_value(value)
            return plain if isinstance(plain, int) else None
    return None


def _advance(
    reply: Sequence[tuple[tuple[int, ...], Any]],
    active: list[str],
    prefixes: dict[str, tuple[int, ...]],
    cursors: dict[str, tuple[int, ...]],
    cells: dict[str, dict[Index, SnmpValue]],
) -> int:
    """Record one GETBULK response (row-major, RFC 3416 section 4.2.3); move the cursors.

    A column whose next OID leaves its subtree (or hits endOfMibView, or does
    not increase) is finished.  Returns how many cells were recorded.
    """
    recorded = 0
    finished: set[str] = set()
    for position, (name, value) in enumerate(reply):
        column = active[position % len(active)]
        if column in finished:
            continue
        prefix = prefixes[column]
        plain = plain_value(value)
        if plain is None or name[: len(prefix)] != prefix or name <= cursors[column]:
            finished.add(column)
            continue
        cells[column][name[len(prefix) :]] = plain
        cursors[column] = name
        recorded += 1
    for column in finished:
        del cursors[column]
    if recorded == 0:
        cursors.clear()  # nothing advanced: a broken agent; stop rather than loop
    return recorded
