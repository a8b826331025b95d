"""Impair a core link in user space: delay, jitter and loss (the kernel has no netem).

A core link passes through its own namespace, where two interfaces face the
two routers.  Normally tc redirects frames between them; while a link is
impaired the redirects are removed and this shuttle moves frames instead: it
reads each frame from one side with an ``AF_PACKET`` socket, drops it with
probability ``loss``, and sends it out of the other side after
``delay +- jitter`` (uniform), in each direction independently, in the manner
of netem's ``delay D J loss L``.  Frames may be reordered by jitter, as with
netem.

Run as ``python -m lab.shuttle NETNS SIDE_A SIDE_B DELAY_MS JITTER_MS LOSS_PERCENT READY``;
the shuttle creates the file READY (inside the lab's state folder, which lets
the lab recognise the process) once it holds both sides.  On SIGTERM it
stops taking frames and exits once it has sent those it holds, so clearing
an impairment loses nothing in flight (:func:`lab.impair.clear` puts the
redirects back first).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lab.forwarder import Namespaces

ETH_P_ALL = 0x0003
SOL_PACKET = 263  # linux/socket.h
PACKET_VNET_HDR = 15  # linux/if_packet.h
PACKET_IGNORE_OUTGOING = 23  # linux/if_packet.h, Linux 4.20
MAX_FRAME = 1 << 18  # a GSO segment (up to 64 KiB) with its headers


@dataclass(frozen=True, kw_only=True)
class Impairment:
    """Per-direction impairment of a link."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss_percent: float = 0.0

    def draw_delay(self, rng: random.Random) -> float | None:
        """Seconds to hold one frame, or None when the frame is lost."""
        if self.loss_percent > 0 and rng.random() * 100.0 < self.loss_percent:
            return None
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.delay_ms + jitter) / 1000.0


def packet_socket(spaces: Namespaces, netns: str, ifname: str) -> socket.socket:
    with spaces.inside(netns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((ifname, ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    # Each frame comes with (and is sent with) its virtio-net header: checksum
    # offload state and GSO size.  veth passes frames whose checksums are
    # still to be filled in (the vxlan tunnels of lab.dataplane, TCP) and
    # segments larger than the MTU; with the header the kernel completes
    # them on the far side as it would have without the shuttle.
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    sock.setblocking(False)
    return sock


class _Relay:
    """Both directions of one link, and the frames held for later sending."""

    def __init__(self, loop: asyncio.AbstractEventLoop, impairment: Impairment) -> None:
        self._loop = loop
        self._impairment = impairment
        self._rng = random.Random()
        self._held = 0
        self._sources: list[tuple[socket.socket, Callable[[], None]]] = []
        self.drained = asyncio.Event()

    def direction(self, src: socket.socket, dst: socket.socket) -> None:
        def send(frame: bytes) -> None:
            with contextlib.suppress(OSError):
                dst.send(frame)

        def send_held(frame: bytes) -> None:
            send(frame)
            self._held -= 1
            if self._held == 0 and not self._sources:
                self.drained.set()

        def readable() -> None:
            while True:
                try:
                    frame = src.recv(MAX_FRAME)
                except BlockingIOError:
                    return
                hold = self._impairment.draw_delay(self._rng)
                if hold is None:
                    continue
                if hold == 0.0:
                    send(frame)
                else:
                    self._held += 1
                    self._loop.call_later(hold, send_held, frame)

        self._sources.append((src, readable))
        self._loop.add_reader(src.fileno(), readable)

    def stop_taking(self) -> None:
        """Take no more frames; :attr:`drained` is set once the held ones are sent.

        The frames already queued on the sockets are taken first: those that
        came before the redirects were back would be lost otherwise.
        """
        for src, readable in self._sources:
            readable()
            self._loop.remove_reader(src.fileno())
        self._sources.clear()
        if self._held == 0:
            self.drained.set()


async def run(netns: str, side_a: str, side_b: str, impairment: Impairment, *, ready: Path) -> None:
    spaces = Namespaces()
    a = packet_socket(spaces, netns, side_a)
    b = packet_socket(spaces, netns, side_b)
    loop = asyncio.get_running_loop()
    relay = _Relay(loop, impairment)
    relay.direction(a, b)
    relay.direction(b, a)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, relay.stop_taking)
    ready.touch()
    await relay.drained.wait()


def main(argv: list[str]) -> None:
    netns, side_a, side_b, delay, jitter, loss, ready = argv[1:8]
    impairment = Impairment(
        delay_ms=float(delay), jitter_ms=float(jitter), loss_percent=float(loss)
    )
    asyncio.run(run(netns, side_a, side_b, impairment, ready=Path(ready)))


if __name__ == "__main__":
    main(sys.argv)
