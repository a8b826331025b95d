"""Publish routers' agents on 127.0.0.1 ports of the root namespace.

One forwarder process per lab listens on 127.0.0.1 in the root namespace and,
for each TCP connection (NETCONF over SSH) or each UDP client (SNMP), opens a
socket *inside* the router's namespace: the thread switches to the namespace
with ``setns(2)``, creates the socket (a socket keeps the namespace it was
created in) and switches back.  No address or route is added anywhere.

Run as ``python -m lab.forwarder CONFIG.json`` where the configuration is a
list of ``{"proto": "tcp"|"udp", "port": 18300, "netns": "t1-pe1", "target": 830}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

CLONE_NEWNET = 0x40000000
LOCALHOST = "127.0.0.1"
UDP_IDLE_SECONDS = 120.0
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True, kw_only=True)
class Route:
    proto: str
    port: int
    netns: str
    target: int


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace open as ``fd``."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class Namespaces:
    """Open namespace handles, and a way to make a socket inside one of them."""

    def __init__(self) -> None:
        self._root = os.open("/proc/self/ns/net", os.O_RDONLY)
        self._fds: dict[str, int] = {}

    def fd(self, name: str) -> int:
        if name not in self._fds:
            self._fds[name] = os.open(f"/run/netns/{name}", os.O_RDONLY)
        return self._fds[name]

    @contextlib.contextmanager
    def inside(self, name: str) -> Iterator[None]:
        setns(self.fd(name))
        try:
            yield
        finally:
            setns(self._root)

    def socket(self, name: str, kind: socket.SocketKind) -> socket.socket:
        with self.inside(name):
            sock = socket.socket(socket.AF_INET, kind)
        sock.setblocking(False)
        return sock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _serve_tcp(route: Route, spaces: Namespaces) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = spaces.socket(route.netns, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (LOCALHOST, route.target))
        except OSError:
            sock.close()
            writer.close()
            return
        inner_reader, inner_writer = await asyncio.open_connection(sock=sock)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(_pipe(reader, inner_writer), _pipe(inner_reader, writer))

    return await asyncio.start_server(handle, LOCALHOST, route.port, reuse_address=True)


class _UdpClient:
    """The namespace side of one UDP client: a connected socket; replies go back to the client."""

    def __init__(self, sock: socket.socket, outer: asyncio.DatagramTransport, client: Any) -> None:
        self.sock, self.outer, self.client = sock, outer, client
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()
        self.loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                return  # for example ECONNREFUSED while the agent is stopped
            self.last = self.loop.time()
            self.outer.sendto(data, self.client)

    def send(self, data: bytes) -> None:
        self.last = self.loop.time()
        with contextlib.suppress(OSError):
            self.sock.send(data)

    def close(self) -> None:
        self.loop.remove_reader(self.sock.fileno())
        self.sock.close()


class _UdpOuter(asyncio.DatagramProtocol):
    """The published side: one namespace socket per client address."""

    def __init__(self, route: Route, spaces: Namespaces) -> None:
        self.route, self.spaces = route, spaces
        self.clients: dict[Any, _UdpClient] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        client = self.clients.get(addr)
        if client is None and self.transport is not None:
            sock = self.spaces.socket(self.route.netns, socket.SOCK_DGRAM)
            sock.connect((LOCALHOST, self.route.target))
            client = self.clients[addr] = _UdpClient(sock, self.transport, addr)
        if client is not None:
            client.send(data)

    def expire(self, now: float) -> None:
        for addr, client in list(self.clients.items()):
            if now - client.last > UDP_IDLE_SECONDS:
                client.close()
                del self.clients[addr]


def _same(protocol: _UdpOuter) -> _UdpOuter:
    return protocol


async def serve(routes: list[Route]) -> None:
    spaces = Namespaces()
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)
    udp: list[_UdpOuter] = []
    for route in routes:
        spaces.fd(route.netns)  # fail now, not at the first client, if it is missing
        if route.proto == "tcp":
            await _serve_tcp(route, spaces)
        else:
            protocol = _UdpOuter(route, spaces)
            await loop.create_datagram_endpoint(
                functools.partial(_same, protocol), local_addr=(LOCALHOST, route.port)
            )
            udp.append(protocol)
    while not stop.done():
        await asyncio.wait([stop], timeout=UDP_IDLE_SECONDS / 4)
        for protocol in udp:
            protocol.expire(loop.time())


def main(argv: list[str]) -> None:
    routes = [Route(**item) for item in json.loads(Path(argv[1]).read_text())]
    asyncio.run(serve(routes))


if __name__ == "__main__":
    main(sys.argv)
