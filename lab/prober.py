"""The SLA prober of a lab router: ICMP echo tests from the router's namespace.

Started by the lab with the router's agents, inside the router's namespace,
as ``python -m lab.prober CONFIG RESULTS [STATE [LAB ROUTER]]``:

- CONFIG is netconfd's startup file, which netconfd rewrites on every commit
  (``--with-startup=false``, see :mod:`lab.agents`); the prober re-reads it
  when it changes and starts, changes or stops probes to match
  ``/native/sla-probes/probe``.
- Each ``icmp-echo`` probe sends ``packets`` echo requests (RFC 792) per
  ``interval-seconds``, spread evenly, on a raw socket of its own with the
  probe's DSCP in the IP header (RFC 2474) and, when the address exists in
  the namespace, the probe's ``source``.  Round-trip times come from the
  kernel's receive timestamp (``SO_TIMESTAMPNS``) minus the send time, in
  microseconds.  A request without a reply after 3 s (RFC 4560's default
  ``pingCtlTimeOut``) is lost; one that cannot be sent is lost at once.
- A probe with a ``vrf`` is sent from that VRF's namespace, which the
  lab's dataplane agent makes (:func:`lab.state.vrf_namespace` of LAB,
  ROUTER and the VRF; without LAB and ROUTER, from the router's namespace):
  its raw socket is created there by a thread moved into the namespace
  (:mod:`lab.nsthread`).  Before each packet the prober checks that the
  namespace still is the one its socket lives in; while the namespace does
  not exist, packets are lost (as to an unreachable target), and when it
  is made again the socket is made again.  A new VRF probe sends its first
  test once the dataplane agent has realised the routers' current configs
  (:func:`lab.dataplane.agent.converged`; at most :data:`READY_GRACE`
  seconds after it was configured): on a router the VRF a commit makes is
  there with the commit, and the lab's emulation of it should not cost the
  probe its first packets.  Probes without a ``vrf`` are
  sent in the router's namespace.  ``udp-echo`` probes are not run.
- A step of the main loop that fails (reading the config, starting probes,
  writing results) is logged with its traceback and tried again next round;
  the probes already running go on.
- Results (:mod:`lab.probes`) are written to RESULTS, replaced atomically
  at most twice a second; snmpd's pass_persist helper (:mod:`lab.passpersist`)
  publishes them.  On start the prober continues the history in RESULTS.
- STATE, when given, receives the same results as netsla-router's
  ``native-state`` document (:mod:`lab.nativestate`), which netconfd's
  instrumentation of the module (:mod:`lab.sil`) serves on ``<get>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from lab.dataplane.agent import converged
from lab.files import Stamp, replace_file, stamp
from lab.nativestate import native_state
from lab.nsthread import namespace_id, run_inside
from lab.probes import (
    TIMEOUT_US,
    ProbeConfig,
    ProbeSnapshot,
    ProbeState,
    ProbeType,
    dump,
    load,
    parse_probes,
)
from lab.state import vrf_namespace
from lab.topology import load_topology

ICMP_ECHO_REPLY = 0  # RFC 792
ICMP_ECHO_REQUEST = 8
PAYLOAD = bytes(56)  # the data size of ping(8)'s default request
WRITE_INTERVAL = 0.5
READY_GRACE = 10.0  # seconds a new VRF probe waits for the dataplane at the most
READY_POLL = 0.05
CONFIG_INTERVAL = 1.0
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC = struct.Struct("@qq")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): one's complement of the one's complement sum."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(*, ident: int, seq: int, payload: bytes = PAYLOAD) -> bytes:
    """An ICMP echo request (RFC 792) with its checksum."""
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    check = checksum(header + payload)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, check, ident, seq) + payload


def echo_reply(packet: bytes) -> tuple[str, int, int] | None:
    """(source, identifier, sequence) of an IPv4 packet holding an ICMP echo reply."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header = (packet[0] & 0x0F) * 4
    icmp = packet[header : header + 8]
    if len(icmp) < 8 or icmp[0] != ICMP_ECHO_REPLY:
        return None
    _type, _code, _check, ident, seq = struct.unpack("!BBHHH", icmp)
    return socket.inet_ntoa(packet[12:16]), ident, seq


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} prober: {message}", file=sys.stderr, flush=True)


class ProbeRunner:
    """Runs the tests of one probe on its own raw ICMP socket (in ``netns`` if given)."""

    def __init__(
        self,
        state: ProbeState,
        *,
        ident: int,
        changed: Callable[[], None],
        netns: str | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.state = state
        self._ready = ready
        self._ident = ident
        self._changed = changed
        self._netns = netns
        self._netns_id: int | None = None
        self._seq = 0
        self._pending: dict[int, tuple[int, int, asyncio.TimerHandle]] = {}
        self._sock: socket.socket | None = None

    def _open(self) -> socket.socket:
        config = self.state.config

        def make() -> socket.socket:
            return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)

        sock = make() if self._netns is None else run_inside(self._netns, make)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, config.dscp << 2)  # RFC 2474, 3
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        if config.source:
            try:
                sock.bind((config.source, 0))
            except OSError as exc:
                _log(f"probe {config.id}: source {config.source} not usable ({exc}); unbound")
        return sock

    def _socket(self) -> socket.socket | None:
        """The probe's socket, made again when its namespace was made again; None without one."""
        if self._netns is not None:
            current = namespace_id(self._netns)
            if current != self._netns_id:
                self._close()
                self._netns_id = current
                state = "missing: packets are lost" if current is None else "found"
                _log(f"probe {self.state.config.id}: namespace {self._netns} {state}")
        if self._sock is None and (self._netns is None or self._netns_id is not None):
            try:
                self._sock = self._open()
            except OSError as exc:
                _log(f"probe {self.state.config.id}: no socket ({exc})")
                return None
            asyncio.get_running_loop().add_reader(self._sock.fileno(), self._readable)
        return self._sock

    def _close(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    async def _await_ready(self) -> None:
        if self._ready is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_GRACE
        while not self._ready() and loop.time() < deadline:
            await asyncio.sleep(READY_POLL)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._await_ready()
            config = self.state.config
            start, count = loop.time(), 0
            while True:
                await asyncio.sleep(max(0.0, start + count * config.spacing_us / 1e6 - loop.time()))
                self._send(test=count // config.packets)
                count += 1
        finally:
            self._close()
            for _test, _sent, timer in self._pending.values():
                timer.cancel()

    def _send(self, *, test: int) -> None:
        sock = self._socket()
        seq, self._seq = self._seq, (self._seq + 1) & 0xFFFF
        packet = echo_request(ident=self._ident, seq=seq)
        sent_ns = time.time_ns()
        if sock is None:
            self._result(test=test, sent_ns=sent_ns, rtt_us=None, done_ns=sent_ns)
            return
        try:
            sock.sendto(packet, (self.state.config.target, 0))
        except OSError:
            self._result(test=test, sent_ns=sent_ns, rtt_us=None, done_ns=sent_ns)
            return
        timer = asyncio.get_running_loop().call_later(TIMEOUT_US / 1e6, self._expire, seq)
        self._pending[seq] = (test, sent_ns, timer)

    def _expire(self, seq: int) -> None:
        pending = self._pending.pop(seq, None)
        if pending is not None:
            self._result(test=pending[0], sent_ns=pending[1], rtt_us=None, done_ns=time.time_ns())

    def _readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data, ancillary, _flags, _addr = self._sock.recvmsg(2048, 64)
            except (BlockingIOError, InterruptedError):
                return
            received_ns = time.time_ns()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = _TIMESPEC.unpack(value[: _TIMESPEC.size])
                    received_ns = seconds * 1_000_000_000 + nanoseconds
            reply = echo_reply(data)
            if reply is None or reply[1] != self._ident or reply[0] != self.state.config.target:
                continue
            pending = self._pending.pop(reply[2], None)
            if pending is None:
                continue  # late reply of a request already counted lost
            test, sent_ns, timer = pending
            timer.cancel()
            rtt_us = max(0, (received_ns - sent_ns) // 1000)
            self._result(test=test, sent_ns=sent_ns, rtt_us=rtt_us, done_ns=received_ns)

    def _result(self, *, test: int, sent_ns: int, rtt_us: int | None, done_ns: int) -> None:
        self.state.record(
            test=test, sent_us=sent_ns // 1000, rtt_us=rtt_us, done_us=done_ns // 1000
        )
        self._changed()


class Prober:
    """Keeps one :class:`ProbeRunner` per configured probe; writes the results file."""

    def __init__(
        self,
        *,
        config: Path,
        results: Path,
        state: Path | None = None,
        vrf_namespace: Callable[[str], str] | None = None,
        dataplane_ready: Callable[[], bool] | None = None,
    ) -> None:
        self._config = config
        self._dataplane_ready = dataplane_ready
        self._results = results
        self._state = state
        self._vrf_namespace = vrf_namespace
        self._stamp: Stamp | None = None
        self._states: dict[int, ProbeState] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._restored: dict[tuple[str, str], ProbeSnapshot] = {}
        self._dirty = True
        self._failures: dict[str, str] = {}  # main-loop step -> its last error, while it fails

    def _mark(self) -> None:
        self._dirty = True

    def _restore(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            for snapshot in load(self._results.read_text()):
                self._restored[(snapshot.owner, snapshot.test_name)] = snapshot

    def _read_config(self) -> list[ProbeConfig] | None:
        current = stamp(self._config)
        if current == self._stamp:
            return None
        try:
            probes = parse_probes(self._config.read_bytes())
        except (OSError, ValueError) as exc:
            _log(f"cannot read {self._config}: {exc}")
            return None
        self._stamp = current
        return [p for p in probes if p.type is ProbeType.ICMP_ECHO]

    def reconcile(self, probes: Sequence[ProbeConfig]) -> None:
        wanted = {p.id: p for p in probes}
        for ident in [i for i in self._states if wanted.get(i) != self._states[i].config]:
            self._tasks.pop(ident).cancel()
            snapshot = self._states.pop(ident).snapshot()
            self._restored[(snapshot.owner, snapshot.test_name)] = snapshot  # if only changed
            self._dirty = True
        for ident, config in wanted.items():
            if ident in self._states:
                continue
            state = ProbeState(config)
            restored = self._restored.pop((config.owner, config.test_name), None)
            if restored is not None:
                state.restore(restored)
            netns = None
            if config.vrf and self._vrf_namespace is not None:
                netns = self._vrf_namespace(config.vrf)
            runner = ProbeRunner(
                state,
                ident=(os.getpid() + ident) & 0xFFFF,
                changed=self._mark,
                netns=netns,
                ready=None if netns is None else self._dataplane_ready,
            )
            self._states[ident] = state
            self._tasks[ident] = asyncio.create_task(runner.run())
            _log(f"probe {ident} ({config.owner}) to {config.target}: started")
            self._dirty = True

    def write(self) -> None:
        if not self._dirty:
            return
        snapshots = [self._states[i].snapshot() for i in sorted(self._states)]
        replace_file(self._results, dump(snapshots).encode())
        if self._state is not None:
            replace_file(self._state, native_state(snapshots))
        self._dirty = False  # only once written: a failed write is made again

    def _update(self) -> None:
        probes = self._read_config()
        if probes is None:
            return
        try:
            self.reconcile(probes)
        except Exception:
            self._stamp = None  # the config is applied again next round
            raise

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """Run one step of the main loop; a failure is logged and the step tried next round.

        The prober is an agent: one bad config or one failed write must not
        end the router's probes.
        """
        try:
            step()
        except Exception as exc:  # logged with its traceback (once while it repeats), retried
            if self._failures.get(what) != repr(exc):
                _log(f"{what} failed:\n{traceback.format_exc().rstrip()}")
            self._failures[what] = repr(exc)
        else:
            if self._failures.pop(what, None) is not None:
                _log(f"{what}: works again")

    async def run(self, stop: asyncio.Event) -> None:
        self._restore()
        next_config = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                if loop.time() >= next_config:
                    next_config = loop.time() + CONFIG_INTERVAL
                    self._guarded("applying the probe config", self._update)
                self._guarded("writing the results", self.write)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), WRITE_INTERVAL)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            self._guarded("writing the results", self.write)


def _dataplane_ready(lab_dir: Path) -> Callable[[], bool]:
    """Whether the lab's dataplane agent reflects every router's current config."""
    routers = [node.name for node in load_topology(lab_dir / "topology.yaml").routers]
    return functools.partial(converged, lab_dir, routers)


async def _main(prober: Prober) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await prober.run(stop)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3, 5):
        print("usage: python -m lab.prober CONFIG RESULTS [STATE [LAB ROUTER]]", file=sys.stderr)
        return 2
    config, results = Path(args[0]), Path(args[1])
    state = Path(args[2]) if len(args) >= 3 else None
    vrfs = ready = None
    if len(args) == 5:
        vrfs = functools.partial(vrf_namespace, args[3], args[4])
        ready = _dataplane_ready(config.parent.parent)
    _log(f"reading {config}, writing {results}")
    prober = Prober(
        config=config, results=results, state=state, vrf_namespace=vrfs, dataplane_ready=ready
    )
    asyncio.run(_main(prober))
    return 0


if __name__ == "__main__":
    sys.exit(main())
