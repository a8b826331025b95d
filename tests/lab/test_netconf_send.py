"""netsla's NETCONF sessions write requests from the calling thread, not through ncclient's queue.

ncclient's session thread sends a queued request only when it next looks at
its queue, once per ``TICK``; netsla's sessions bypass the queue, so an RPC
does not wait for the TICK, however long it is (speed is measured in
tests/benchmarks/bench_lab.py).  A transaction's RPCs on an open session are
sent from the event loop and answered into it, with no worker thread.  The
framing is a pure function and is tested without the lab.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from lxml import etree
from ncclient.transport import session as nc_session

from lab import api
from lab.agents import Agent
from lab.state import LabState
from southbound import workers
from southbound.directsend import Framing, UnsupportedNcclient, frame, send_directly
from southbound.inventory import load_inventory
from southbound.netconf import (
    READ_LOOP_TICK,
    Datastore,
    DeviceUnreachable,
    NetconfSession,
    RpcFailed,
)

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE_NS = "urn:netsla:yang:netsla-router"
ROUNDS = 3


# RFC 6242: framing, without the lab


def test_chunked_framing_is_one_chunk_of_the_message_length_in_octets() -> None:
    message = b'<rpc message-id="1"><get/></rpc>'
    assert frame(message, Framing.CHUNKED) == b"\n#32\n" + message + b"\n##\n"
    # chunk-size counts octets: 11 characters, 12 octets in UTF-8
    assert frame("<x>caf\u00e9</x>".encode(), Framing.CHUNKED).startswith(b"\n#12\n")


def test_end_of_message_framing_appends_the_marker() -> None:
    assert frame(b"<hello/>", Framing.END_OF_MESSAGE) == b"<hello/>]]>]]>"


def test_framing_matches_ncclients_delimiters() -> None:
    body = b"<rpc/>"
    assert frame(body, Framing.CHUNKED).endswith(nc_session.END_DELIM)
    assert frame(body, Framing.END_OF_MESSAGE).endswith(nc_session.MSG_DELIM)


def test_a_session_without_ncclient_07s_attributes_fails_loudly() -> None:
    with pytest.raises(UnsupportedNcclient, match=r"_base/_channel"):
        send_directly(object(), timeout=1.0)


# against a lab router


def _vrf(name: str, rd: str, *, remove: bool = False) -> etree._Element:
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={"nc": NC_NS})
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})
    vrf = etree.SubElement(etree.SubElement(native, f"{{{NATIVE_NS}}}vrfs"), f"{{{NATIVE_NS}}}vrf")
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}name").text = name
    if remove:
        vrf.set(f"{{{NC_NS}}}operation", "remove")
    else:
        etree.SubElement(vrf, f"{{{NATIVE_NS}}}rd").text = rd
    return config


async def _slowest_s(action: Callable[[int], Awaitable[object]]) -> float:
    slowest = 0.0
    for i in range(ROUNDS):
        started = time.perf_counter()
        await action(i)
        slowest = max(slowest, time.perf_counter() - started)
    return slowest


def _vrfs_filter() -> etree._Element:
    """A subtree filter for the router's VRFs."""
    return etree.fromstring(f'<native xmlns="{NATIVE_NS}"><vrfs/></native>')


def _session(lab: LabState, router: str) -> NetconfSession:
    inventory = load_inventory(lab.inventory)
    return NetconfSession(device=inventory.devices[router], inventory=inventory)


async def _remove_and_close(vrf: str, session: NetconfSession, *others: NetconfSession) -> None:
    """Remove VRF ``vrf`` through ``session`` (committed), then close every session."""
    await session.edit_config(_vrf(vrf, "", remove=True), target=Datastore.CANDIDATE)
    await session.commit()
    for each in (session, *others):
        await each.close()


LONG_TICK = 20.0  # seconds: a request left in ncclient's queue would wait about this long


@pytest.mark.lab
def test_rpcs_do_not_wait_for_the_session_threads_tick(
    lab: LabState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not a speed test: with ncclient's queued send every request would wait for
    # the session thread's next look at its queue, up to a whole TICK.
    monkeypatch.setattr(nc_session, "TICK", LONG_TICK)
    name = f"send-{uuid.uuid4().hex[:6]}"
    subtree = _vrfs_filter()

    async def run() -> tuple[Framing | None, float, float]:
        session = _session(lab, "pe1")
        await session.connect()

        async def edit_commit(i: int) -> None:
            await session.edit_config(_vrf(name, f"65000:{i}"), target=Datastore.CANDIDATE)
            await session.commit()

        async def get_config(_i: int) -> None:
            await session.get_config(source=Datastore.RUNNING, subtree=subtree)

        try:
            return session.framing, await _slowest_s(edit_commit), await _slowest_s(get_config)
        finally:
            await _remove_and_close(name, session)

    framing, edit_s, get_s = asyncio.run(run())
    assert framing is Framing.CHUNKED  # netconfd and ncclient both speak base:1.1
    assert edit_s < LONG_TICK / 4, f"slowest edit+commit {edit_s:.1f} s"
    assert get_s < LONG_TICK / 4, f"slowest get-config {get_s:.1f} s"


@pytest.mark.lab
def test_rpc_to_a_dead_agent_is_unreachable_and_the_session_reopens(
    lab: LabState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nc_session, "TICK", READ_LOOP_TICK)

    async def run() -> None:
        session = _session(lab, "pe2")
        try:
            await session.get_config(source=Datastore.RUNNING)
            await asyncio.to_thread(api.stop_agent, lab.name, "pe2", Agent.NETCONF)
            try:
                with pytest.raises(DeviceUnreachable, match=r"^pe2: "):
                    await session.get_config(source=Datastore.RUNNING)
            finally:
                await asyncio.to_thread(api.start_agent, lab.name, "pe2", Agent.NETCONF)
            data = await session.get_config(source=Datastore.RUNNING)
            assert etree.QName(data).localname == "data"
            assert session.framing is Framing.CHUNKED
        finally:
            await session.close()

    asyncio.run(run())


@pytest.mark.lab
def test_commit_and_unlock_sends_the_unlock_behind_the_commit_whatever_the_commit_says(
    lab: LabState,
) -> None:
    # RFC 6241, Section 4.5: the server takes pipelined requests in order.
    name = f"pipe-{uuid.uuid4().hex[:6]}"
    subtree = _vrfs_filter()

    async def run() -> None:
        session, other = _session(lab, "pe3"), _session(lab, "pe3")
        try:
            await session.lock(Datastore.CANDIDATE)
            await session.edit_config(_vrf(name, "65000:7"), target=Datastore.CANDIDATE)
            await session.commit(confirmed=True, timeout=60, persist=name)
            await session.commit_and_unlock(Datastore.CANDIDATE, persist_id=name)
            running = await other.get_config(source=Datastore.RUNNING, subtree=subtree)
            assert name in etree.tostring(running).decode()
            with pytest.raises(RpcFailed):  # confirmed: nothing is pending any more
                await other.cancel_commit(persist_id=name)
            await other.lock(Datastore.CANDIDATE)  # the lock was released
            await other.unlock(Datastore.CANDIDATE)

            await session.lock(Datastore.CANDIDATE)
            with pytest.raises(RpcFailed, match=r"^pe3: commit refused: "):
                await session.commit_and_unlock(Datastore.CANDIDATE, persist_id="no-such-id")
            await other.lock(Datastore.CANDIDATE)  # released though the commit was refused
            await other.unlock(Datastore.CANDIDATE)
        finally:
            await _remove_and_close(name, other, session)

    asyncio.run(run())


@pytest.mark.lab
def test_lock_and_discard_pipelines_the_discard_and_leaves_a_holders_candidate_alone(
    lab: LabState,
) -> None:
    # RFC 6241, Section 4.5: the discard goes right behind the lock, in one round trip.
    name = f"lad-{uuid.uuid4().hex[:6]}"
    vrfs = _vrfs_filter()

    async def candidate_has(session: NetconfSession, vrf: str) -> bool:
        found = await session.get_config(source=Datastore.CANDIDATE, subtree=vrfs)
        return vrf in etree.tostring(found).decode()

    async def run() -> None:
        session, other = _session(lab, "pe2"), _session(lab, "pe2")
        try:
            # another session holds the lock: both refused, its candidate kept
            await other.lock(Datastore.CANDIDATE)
            await other.edit_config(_vrf(name, "65000:8"), target=Datastore.CANDIDATE)
            with pytest.raises(RpcFailed, match=r"lock-denied") as refused:
                await session.lock_and_discard(Datastore.CANDIDATE)
            assert refused.value.operation == "lock"
            assert await candidate_has(other, name)
            await other.unlock(Datastore.CANDIDATE)  # its uncommitted edit goes with the lock

            # an edit nobody locked for is stale: netconfd refuses the lock
            # of a changed candidate, and the pipelined discard clears it
            await other.edit_config(_vrf(name, "65000:8"), target=Datastore.CANDIDATE)
            with pytest.raises(RpcFailed, match=r"resource-denied") as dirty:
                await session.lock_and_discard(Datastore.CANDIDATE)
            assert dirty.value.operation == "lock"
            assert not await candidate_has(other, name)

            await session.lock_and_discard(Datastore.CANDIDATE)  # clean now: locked
            with pytest.raises(RpcFailed, match=r"lock-denied"):
                await other.lock(Datastore.CANDIDATE)
            await session.unlock(Datastore.CANDIDATE)
        finally:
            await session.close()
            await other.close()

    asyncio.run(run())


@pytest.mark.lab
def test_an_edit_given_as_text_is_sent_as_it_is_and_a_refused_one_says_why(lab: LabState) -> None:
    # The controller's payloads are XML text (controller.render.xml.edit_payload_text).
    name = f"text-{uuid.uuid4().hex[:6]}"

    def text(rd: str) -> str:
        return etree.tostring(_vrf(name, rd)).decode()

    async def run() -> None:
        session = _session(lab, "pe1")
        try:
            await session.edit_config(text("65000:9"), target=Datastore.CANDIDATE)
            await session.commit()
            running = await session.get_config(source=Datastore.RUNNING, subtree=_vrfs_filter())
            rd = running.xpath(f"//n:vrf[n:name='{name}']/n:rd/text()", namespaces={"n": NATIVE_NS})
            assert rd == ["65000:9"]
            with pytest.raises(RpcFailed, match=r"^pe1: edit-config refused: ") as refused:
                await session.edit_config(
                    text("no route distinguisher"), target=Datastore.CANDIDATE
                )
            assert refused.value.operation == "edit-config"
        finally:
            await session.discard_changes()
            await _remove_and_close(name, session)

    asyncio.run(run())


@pytest.mark.lab
def test_a_transactions_rpcs_on_an_open_session_need_no_worker_thread(
    lab: LabState, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"loop-{uuid.uuid4().hex[:6]}"

    async def no_worker(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a worker thread was asked to run a transaction's RPC")

    async def run() -> None:
        session, other = _session(lab, "pe1"), _session(lab, "pe1")
        try:
            await session.connect()
            with monkeypatch.context() as patched:
                patched.setattr(workers, "run", no_worker)
                assert (await session.connect()).confirmed_commit
                await session.lock_and_discard(Datastore.CANDIDATE)
                text = etree.tostring(_vrf(name, "65000:10")).decode()
                await session.edit_config(text, target=Datastore.CANDIDATE)
                await session.commit(confirmed=True, timeout=60, persist=name)
                await session.commit_and_unlock(Datastore.CANDIDATE, persist_id=name)
            running = await other.get_config(source=Datastore.RUNNING, subtree=_vrfs_filter())
            assert name in etree.tostring(running).decode()
            await other.lock(Datastore.CANDIDATE)  # unlocked with the confirming commit
            await other.unlock(Datastore.CANDIDATE)
        finally:
            await _remove_and_close(name, other, session)

    asyncio.run(run())


@pytest.mark.lab
def test_a_call_cancelled_while_the_session_is_busy_leaves_it_usable(lab: LabState) -> None:
    # The session's RPC lock is held elsewhere: the call waits for it in a
    # worker thread; cancelled meanwhile, the lock it then takes is given back.
    async def run() -> None:
        session = _session(lab, "pe2")
        try:
            await session.connect()
            session._lock.acquire()  # another caller's RPC in progress
            waiting = asyncio.ensure_future(session.commit())
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            session._lock.release()
            deadline = time.monotonic() + 5
            while not (free := session._lock.acquire(blocking=False)):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.01)
            session._lock.release()  # taken just now, or still held by the cancelled call
            assert free, "the cancelled call kept the session's lock"
            await session.lock_and_discard(Datastore.CANDIDATE)  # the session still works
            await session.commit_and_unlock(Datastore.CANDIDATE)
        finally:
            await session.close()

    asyncio.run(run())
