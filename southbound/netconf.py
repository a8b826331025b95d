"""NETCONF (RFC 6241) over SSH (RFC 6242) on ncclient: one reused session per device.

Sessions are opened once and reused; each request is written onto the SSH
channel by the thread that makes it (:mod:`southbound.directsend`), not left in
ncclient's send queue for its session thread to pick up.  The RPCs of a
transaction (:meth:`NetconfSession.lock_and_discard`,
:meth:`~NetconfSession.edit_config`, :meth:`~NetconfSession.commit`,
:meth:`~NetconfSession.commit_and_unlock`) are sent from the event loop
itself on an open session, and their replies wake the waiting coroutine
straight from ncclient's session thread (:class:`_ReplyEvent`): no worker
thread carries the request or waits for the reply.  The server's host
key must match the inventory's ``known_hosts`` (an unknown or changed key is
refused before authentication).  Connect and every RPC have a timeout; a
session found dead is reopened on the next call; each device runs one call
at a time, one RPC each but for :meth:`NetconfSession.lock_and_discard`
and :meth:`NetconfSession.commit_and_unlock`, which pipeline the second
request behind the first.  Replies with several
``<rpc-error>`` elements are reported whole.  An edit-config given as XML
text (as the controller makes it) is sent as it is, wrapped in the
request's text (:class:`EditConfigText`), with no element tree made on
the way.

The calls are ``async``, so that the controller drives many devices
concurrently from one event loop; what blocks (opening a session, the other
RPCs, whose replies may be large) runs ncclient in one of netsla's worker
threads (:mod:`southbound.workers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import paramiko  # type: ignore[import-untyped]
from lxml import etree
from ncclient import manager
from ncclient.operations import RPC, RPCError, TimeoutExpiredError
from ncclient.operations.edit import Commit, DiscardChanges
from ncclient.operations.lock import Lock, Unlock
from ncclient.transport import session as nc_session
from ncclient.transport.errors import SSHUnknownHostError, TransportError
from ncclient.xml_ import to_ele

from southbound import workers
from southbound.directsend import Framing, UnsupportedNcclient, send_directly
from southbound.errors import SouthboundError
from southbound.inventory import Device, Inventory, PasswordSecret, SshKeySecret

# ncclient's session thread waits up to TICK seconds for input, then looks at
# its send queue.  netsla's requests bypass that queue (southbound.directsend), so
# TICK adds nothing to an RPC or to closing a session: replies, and the
# channel closing, wake the thread at once (closing three lab sessions takes
# about 6 ms), and only the client's <hello>, queued before the thread
# starts, goes through the queue, on the thread's first pass.  So TICK stays
# at ncclient's default, where an idle session's thread wakes 10 times a
# second; a queued send would need 1 ms for 4 ms RPCs, and 1,000 wake-ups a
# second per session, each taking the GIL (tests/benchmarks/bench_lab.py).
READ_LOOP_TICK = 0.1
nc_session.TICK = READ_LOOP_TICK

# Per platform: how long to wait after the <hello> exchange before the first
# RPC.  netconfd (yuma123 2.13, the lab router) drops an RPC that reaches it
# in the same read as the client's <hello>; the RPC then never gets a reply.
# Sessions are opened once and reused, so this is paid once per session.
HELLO_SETTLE_SECONDS: dict[str, float] = {"netsla-router": 0.1}

# The largest request the event loop writes itself (see NetconfSession._send):
# a write this size fits in the socket buffers between netsla and the device
# even when the device reads nothing, so that it never holds up the loop.
LOOP_SEND_LIMIT = 256 * 1024  # characters of an edit's <config> text

T = TypeVar("T")
# What a lost session raises (the transport closed, the socket failed, the stream ended).
_LOST = (TransportError, OSError, EOFError)
BASE = "urn:ietf:params:netconf:base:1.0"
CAP = "urn:ietf:params:netconf:capability"


class Datastore(StrEnum):
    """RFC 6241, Section 5.1."""

    RUNNING = "running"
    CANDIDATE = "candidate"
    STARTUP = "startup"


class EditTestOption(StrEnum):
    """edit-config's ``<test-option>`` (RFC 6241, Section 8.6.4.1; needs :validate)."""

    TEST_THEN_SET = "test-then-set"
    SET = "set"  # apply without validating: the commit validates the candidate
    TEST_ONLY = "test-only"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The capabilities (RFC 6241, Section 8) the controller cares about."""

    candidate: bool = False
    confirmed_commit: bool = False  # :confirmed-commit:1.1 (persist, persist-id)
    validate: bool = False
    rollback_on_error: bool = False
    writable_running: bool = False
    startup: bool = False

    @classmethod
    def from_uris(cls, uris: list[str]) -> Capabilities:
        names = {u.split("?")[0] for u in uris}
        return cls(
            candidate=f"{CAP}:candidate:1.0" in names,
            confirmed_commit=f"{CAP}:confirmed-commit:1.1" in names,
            validate=f"{CAP}:validate:1.1" in names or f"{CAP}:validate:1.0" in names,
            rollback_on_error=f"{CAP}:rollback-on-error:1.0" in names,
            writable_running=f"{CAP}:writable-running:1.0" in names,
            startup=f"{CAP}:startup:1.0" in names,
        )


class NetconfError(SouthboundError):
    """A NETCONF operation on one device failed (``operation``: which, where known)."""

    def __init__(self, device: str, message: str, *, operation: str | None = None) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.message = message
        self.operation = operation


class DeviceUnreachable(NetconfError, ConnectionError):
    """No session could be opened, or the session died."""


class DeviceTimeout(NetconfError, TimeoutError):
    """The device did not answer in time."""


class HostKeyRefused(NetconfError):
    """The device's SSH host key is unknown or differs from known_hosts."""


@dataclass(frozen=True, slots=True)
class RpcErrorInfo:
    """One ``<rpc-error>`` (RFC 6241, Section 4.3)."""

    tag: str
    type: str
    severity: str
    message: str
    path: str

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        text = f": {self.message}" if self.message else ""
        return f"{self.tag}{where}{text}"


class RpcFailed(NetconfError):
    """The device answered with one or more rpc-errors."""

    def __init__(self, device: str, operation: str, errors: tuple[RpcErrorInfo, ...]) -> None:
        super().__init__(
            device, f"{operation} refused: " + "; ".join(map(str, errors)), operation=operation
        )
        self.errors = errors


def _rpc_errors(exc: RPCError) -> tuple[RpcErrorInfo, ...]:
    items = exc.errors if getattr(exc, "errors", None) else [exc]
    return tuple(
        RpcErrorInfo(
            tag=str(e.tag or ""),
            type=str(e.type or ""),
            severity=str(e.severity or ""),
            message=" ".join(str(e.message or "").split()),
            path=" ".join(str(e.path or "").split()),
        )
        for e in items
    )


def known_host_key(known_hosts: Path, host: str, port: int) -> str:
    """Base64 host key for ``host:port`` from an OpenSSH known_hosts file."""
    lookup = host if port == 22 else f"[{host}]:{port}"
    try:
        keys = paramiko.HostKeys(str(known_hosts))
    except OSError as exc:
        raise HostKeyRefused(lookup, f"cannot read known_hosts {known_hosts}: {exc}") from exc
    entry = keys.lookup(lookup)
    if not entry:
        raise HostKeyRefused(lookup, f"host key unknown: no entry in {known_hosts}")
    key = next(iter(entry.values()))
    return str(key.get_base64())


NETCONF_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"


class EditConfigText(RPC):  # type: ignore[misc]
    """``<edit-config>`` (RFC 6241, Section 7.2) whose ``<config>`` is given as XML text.

    ncclient's own ``EditConfig`` takes an element and serializes the whole
    request again; this one writes the request around the text it is given
    (a self-contained ``<config>`` element in the base namespace, with its
    own namespace declarations).  Run with ``Manager.execute``, so that the
    reply is waited for and checked as for any ncclient RPC.  It overrides
    ``RPC._wrap``, an internal of ncclient 0.7 (pinned in pyproject, as
    :mod:`southbound.directsend` needs it too).
    """

    def request(
        self,
        config: str,
        *,
        target: str,
        test_option: str | None = None,
        error_option: str | None = None,
    ) -> Any:
        options = []
        if test_option is not None:
            self._assert(":validate")
            options.append(f"<test-option>{test_option}</test-option>")
        if error_option is not None:
            if error_option == "rollback-on-error":
                self._assert(":rollback-on-error")
            options.append(f"<error-option>{error_option}</error-option>")
        self._text = (
            f"<edit-config><target><{target}/></target>{''.join(options)}{config}</edit-config>"
        )
        return self._request(None)

    def _wrap(self, _op: object) -> str:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><rpc xmlns="{NETCONF_NS}" '
            f'message-id="{self._id}">{self._text}</rpc>'
        )


class _ReplyEvent(threading.Event):
    """An ncclient RPC's reply event that also resolves an asyncio future.

    ncclient's session thread sets an RPC's event when it delivers the reply
    (or an error); this one then schedules the future's result in its event
    loop, so that the coroutine awaiting it runs next, with no thread
    waiting on the event in between.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        super().__init__()
        self._loop = loop
        self._future = future

    def set(self) -> None:
        super().set()
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(_resolve, self._future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # not timed out (cancelled) meanwhile
        future.set_result(None)


Pending = tuple[Any, "asyncio.Future[None]"]  # an RPC sent from the loop, and its reply's future


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 10.0
    rpc: float = 60.0


class NetconfSession:
    """The NETCONF session to one device, opened on first use and reused."""

    def __init__(
        self, *, device: Device, inventory: Inventory, timeouts: Timeouts = Timeouts()
    ) -> None:
        self.device = device
        self.name = device.name
        self._inventory = inventory
        self._timeouts = timeouts
        self._manager: Any = None
        self._lock = threading.Lock()  # one RPC at a time per device
        self.capabilities = Capabilities()
        self.framing: Framing | None = None  # once a session was opened

    # session handling (worker thread)
    def _credentials(self) -> dict[str, Any]:
        secret = self._inventory.secret(self.device.netconf.credential)
        if isinstance(secret, SshKeySecret):
            return {"key_filename": str(secret.private_key_file)}
        if isinstance(secret, PasswordSecret):
            return {"password": secret.password}
        raise NetconfError(
            self.name, f"credential {self.device.netconf.credential!r} is no SSH key or password"
        )

    def _open(self) -> Any:
        if self._manager is not None and self._manager.connected:
            return self._manager
        self._manager = None
        target = self.device.netconf
        hostkey = known_host_key(self._inventory.known_hosts, target.host, target.port)
        try:
            mgr = manager.connect(
                host=target.host,
                port=target.port,
                username=target.username,
                hostkey_b64=hostkey,
                hostkey_verify=True,
                allow_agent=False,
                look_for_keys=False,
                timeout=self._timeouts.connect,
                manager_params={"timeout": self._timeouts.rpc},
                **self._credentials(),
            )
        except SSHUnknownHostError as exc:
            raise HostKeyRefused(self.name, f"host key changed: {exc}") from exc
        except (TransportError, OSError, paramiko.SSHException) as exc:
            raise DeviceUnreachable(self.name, f"cannot open NETCONF session: {exc}") from exc
        try:
            self.framing = send_directly(getattr(mgr, "_session", None), timeout=self._timeouts.rpc)
        except UnsupportedNcclient as exc:
            with contextlib.suppress(Exception):
                mgr.close_session()
            raise NetconfError(self.name, str(exc)) from exc
        self.capabilities = Capabilities.from_uris(list(mgr.server_capabilities))
        time.sleep(HELLO_SETTLE_SECONDS.get(self.device.platform, 0.0))
        self._manager = mgr
        return mgr

    def _run(self, operation: str, call: Callable[[Any], T]) -> T:
        with self._lock:
            mgr = self._open()
            with self._errors(operation):
                return call(mgr)

    @contextlib.contextmanager
    def _errors(self, operation: str, *, drop: Callable[[], None] | None = None) -> Iterator[None]:
        """ncclient's errors of ``operation`` as netsla's (a dead session dropped)."""
        try:
            yield
        except RPCError as exc:
            raise RpcFailed(self.name, operation, _rpc_errors(exc)) from exc
        except TimeoutExpiredError as exc:
            (drop or self._drop)()
            raise DeviceTimeout(
                self.name,
                f"{operation}: no reply in {self._timeouts.rpc:g} s",
                operation=operation,
            ) from exc
        except _LOST as exc:
            (drop or self._drop)()
            raise DeviceUnreachable(
                self.name, f"{operation}: session lost: {exc}", operation=operation
            ) from exc

    def _drop(self) -> None:
        mgr, self._manager = self._manager, None
        if mgr is not None:
            _close_quietly(mgr)

    def _drop_soon(self) -> None:
        """:meth:`_drop` for the event loop: the session is closed by a worker thread."""
        mgr, self._manager = self._manager, None
        if mgr is not None:
            workers.submit(_close_quietly, mgr)

    # the RPCs of a transaction, sent from the event loop
    async def _held(self) -> Any:
        """The open session's manager, with the device's RPC lock taken for the caller.

        Taken at once when the session is open and idle; otherwise a worker
        thread waits for the lock and opens the session.  Used through
        :meth:`_holding`, which releases the lock when the replies are in.
        """
        mgr = self._manager
        if mgr is not None and mgr.connected and self._lock.acquire(blocking=False):
            if self._manager is mgr:
                return mgr
            self._lock.release()  # dropped meanwhile: open it again below
        taking = asyncio.ensure_future(workers.run(self._take))
        try:
            return await asyncio.shield(taking)
        except asyncio.CancelledError:  # the worker goes on: whatever it takes, it gives back
            taking.add_done_callback(self._give_back)
            raise

    def _take(self) -> Any:
        self._lock.acquire()
        try:
            return self._open()
        except BaseException:
            self._lock.release()
            raise

    def _give_back(self, taking: asyncio.Future[Any]) -> None:
        if not taking.cancelled() and taking.exception() is None:
            self._lock.release()

    def _send(self, mgr: Any, cls: type[RPC], *args: Any, **kwargs: Any) -> Pending:
        """Send one RPC from the event loop; its reply resolves the returned future.

        The RPC is made as ``Manager.execute`` makes it (ncclient 0.7's
        ``_session``, ``_device_handler``, ``_timeout``, ``_raise_mode`` and
        ``_huge_tree``), in async mode, and its reply event is a
        :class:`_ReplyEvent`.  The write goes from this thread
        (:mod:`southbound.directsend`); only requests up to
        :data:`LOOP_SEND_LIMIT` are sent this way.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        rpc = cls(
            mgr._session,
            device_handler=mgr._device_handler,
            async_mode=True,
            timeout=mgr._timeout,
            raise_mode=mgr._raise_mode,
            huge_tree=mgr._huge_tree,
        )
        rpc._event = _ReplyEvent(loop, future)
        rpc.request(*args, **kwargs)
        return rpc, future

    async def _reply_of(self, pending: Pending) -> None:
        """Wait for a reply of :meth:`_send`; raise as a sync ncclient call would."""
        rpc, future = pending
        try:
            await asyncio.wait_for(future, self._timeouts.rpc)
        except TimeoutError:
            raise TimeoutExpiredError("no rpc-reply in time") from None
        _check(rpc)

    @contextlib.asynccontextmanager
    async def _holding(self) -> AsyncIterator[Any]:
        """:meth:`_held`'s manager, the device's RPC lock released when the block ends."""
        mgr = await self._held()
        try:
            yield mgr
        finally:
            self._lock.release()

    async def _exchange(self, operation: str, cls: type[RPC], *args: Any, **kwargs: Any) -> None:
        """One RPC sent from the event loop and its reply awaited, the device held meanwhile."""
        async with self._holding() as mgr:
            with self._errors(operation, drop=self._drop_soon):
                await self._reply_of(self._send(mgr, cls, *args, **kwargs))

    async def connect(self) -> Capabilities:
        mgr = self._manager
        if mgr is None or not mgr.connected:
            await workers.run(self._run, "connect", lambda m: None)
        return self.capabilities

    async def lock(self, datastore: Datastore) -> None:
        await workers.run(self._run, "lock", lambda m: m.lock(target=datastore.value))

    async def unlock(self, datastore: Datastore) -> None:
        await workers.run(self._run, "unlock", lambda m: m.unlock(target=datastore.value))

    async def discard_changes(self) -> None:
        await workers.run(self._run, "discard-changes", lambda m: m.discard_changes())

    async def lock_and_discard(self, datastore: Datastore) -> None:
        """Lock ``datastore`` (the candidate) and discard its changes, in one round trip.

        The discard-changes is sent right behind the lock (RFC 6241, Section
        4.5: the server takes them in order).  A lock refused because
        another session holds it gets the discard refused too (the holder's
        candidate is left alone); so does a session that dies.  A candidate
        changed by a session that took no lock is refused the lock by some
        servers (netconfd: resource-denied); the discard then clears it, and
        the next attempt gets the lock.  The error raised names the
        operation that failed (``operation``: ``lock`` or
        ``discard-changes``): after a failed discard the lock is held.
        """
        async with self._holding() as mgr:
            with self._errors("lock", drop=self._drop_soon):
                locking = self._send(mgr, Lock, target=datastore.value)
                discarding = self._send(mgr, DiscardChanges)
                await self._reply_of(locking)
            with self._errors("discard-changes", drop=self._drop_soon):
                await self._reply_of(discarding)

    async def edit_config(
        self,
        config: etree._Element | str,
        *,
        target: Datastore,
        rollback_on_error: bool = False,
        test_option: EditTestOption | None = None,
    ) -> None:
        """RFC 6241, Section 7.2; ``test_option`` None leaves the server's default.

        ``config`` is the ``<config>`` element, or its XML text
        (:func:`controller.render.xml.edit_payload_text`), sent as it is.
        """
        option = "rollback-on-error" if rollback_on_error else None
        test = None if test_option is None else test_option.value
        if not isinstance(config, str) or len(config) > LOOP_SEND_LIMIT:

            def call(m: Any) -> Any:
                if isinstance(config, str):
                    return m.execute(
                        EditConfigText,
                        config,
                        target=target.value,
                        test_option=test,
                        error_option=option,
                    )
                return m.edit_config(
                    config=config, target=target.value, error_option=option, test_option=test
                )

            await workers.run(self._run, "edit-config", call)
            return
        await self._exchange(
            "edit-config",
            EditConfigText,
            config,
            target=target.value,
            test_option=test,
            error_option=option,
        )

    async def commit(
        self,
        *,
        confirmed: bool = False,
        timeout: int | None = None,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        """RFC 6241, Section 8.4.5: a confirmed commit, a confirming commit, or a plain one."""
        await self._exchange(
            "commit",
            Commit,
            confirmed=confirmed,
            timeout=None if timeout is None else str(timeout),
            persist=persist,
            persist_id=persist_id,
        )

    async def commit_and_unlock(
        self, datastore: Datastore, *, persist_id: str | None = None
    ) -> None:
        """A commit (the confirming one if ``persist_id``) with the unlock sent right behind it.

        RFC 6241, Section 4.5: a client may send requests before earlier
        ones are answered, and the server processes them in order; so the
        unlock waits for no round trip of its own.  The lock of
        ``datastore`` is released whatever the commit's outcome (or with the
        session, if it dies).  Raises the commit's error; an error of the
        unlock alone is not raised, as the commit's outcome stands either
        way: a session that does not answer the unlock is dropped, and its
        lock with it.
        """
        async with self._holding() as mgr:
            with self._errors("commit", drop=self._drop_soon):
                committing = self._send(mgr, Commit, persist_id=persist_id)
                unlocking = self._send(mgr, Unlock, target=datastore.value)
                await self._reply_of(committing)
            try:
                await self._reply_of(unlocking)
            except RPCError:
                pass  # refused (not locked any more): nothing is held either way
            except (TimeoutExpiredError, *_LOST):
                self._drop_soon()

    async def cancel_commit(self, *, persist_id: str | None = None) -> None:
        await workers.run(
            self._run, "cancel-commit", lambda m: m.cancel_commit(persist_id=persist_id)
        )

    async def copy_config(self, *, source: Datastore, target: Datastore) -> None:
        await workers.run(
            self._run,
            "copy-config",
            lambda m: m.copy_config(source=source.value, target=target.value),
        )

    async def get_config(
        self, *, source: Datastore, subtree: etree._Element | None = None
    ) -> etree._Element:
        """The ``<data>`` element of a get-config, filtered by ``subtree`` when given."""

        def call(m: Any) -> etree._Element:
            flt = None if subtree is None else ("subtree", etree.tostring(subtree).decode())
            data: etree._Element = m.get_config(source=source.value, filter=flt).data_ele
            return data

        return await workers.run(self._run, "get-config", call)

    async def close(self) -> None:
        await workers.run(self._close)

    def _close(self) -> None:
        with self._lock:
            self._drop()


def _close_quietly(mgr: Any) -> None:
    with contextlib.suppress(Exception):  # dead already: nothing to report
        mgr.close_session()


def _check(rpc: Any) -> None:
    """Raise an answered RPC's error (ncclient's, as a sync call raises it), if any."""
    if rpc.error is not None:
        raise rpc.error
    rpc.reply.parse()
    errors = rpc.reply.errors
    if errors:
        raise RPCError(to_ele(rpc.reply.xml), errs=errors) if len(errors) > 1 else errors[0]


class NetconfPool:
    """Reused sessions to the devices of an inventory.

    Made, it starts the worker threads a transaction over all the
    inventory's devices keeps busy (:func:`southbound.workers.prestart`).
    """

    def __init__(self, inventory: Inventory, *, timeouts: Timeouts = Timeouts()) -> None:
        self.inventory = inventory
        self._timeouts = timeouts
        self._sessions: dict[str, NetconfSession] = {}
        workers.prestart(workers.for_devices(len(inventory.devices)))

    def session(self, name: str) -> NetconfSession:
        found = self._sessions.get(name)
        if found is None:
            device = self.inventory.devices[name]
            found = NetconfSession(device=device, inventory=self.inventory, timeouts=self._timeouts)
            self._sessions[name] = found
        return found

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self._sessions.values()))
        self._sessions.clear()
