"""Network namespaces and veth links of a lab, built with iproute2 batches.

Routers and hosts are namespaces ``<lab>-<node>``.  An access link is one
veth pair between the two nodes.  A core link (router to router) is two veth
pairs through a link namespace ``<lab>-<a>-<b>`` whose two ends are joined by
a tc ``mirred`` redirect in each direction: the kernel forwards frames at full
speed, and the impairment shuttle can take the link over without touching the
routers' interfaces (their ifindex and counters stay).

Command builders are pure (lists of ``ip``/``tc`` batch lines); :func:`run_batch`
runs one batch.  Nothing here adds an address or route to the root namespace.

Core links carry an MTU of ``CORE_MTU`` (1550): room for the dataplane's
vxlan header (50 bytes, RFC 7348) around a customer's 1500-byte packet.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.errors import LabError
from lab.state import link_namespace, namespace
from lab.topology import Link, LinkKind, Topology

IP = "/usr/sbin/ip"
TC = "/usr/sbin/tc"
NETNS_DIR = Path("/run/netns")
CORE_MTU = 1550


class NamespaceError(LabError):
    """An iproute2 or tc command failed."""


def lab_namespaces(topology: Topology) -> list[str]:
    """Every namespace the lab owns: nodes first, then link namespaces."""
    names = [namespace(topology.name, n.name) for n in topology.nodes]
    names += [
        link_namespace(topology.name, link.name)
        for link in topology.links
        if link.kind is LinkKind.CORE
    ]
    return names


def existing_namespaces(prefix: str) -> list[str]:
    """Namespaces whose name starts with ``prefix`` (for example ``<lab>-``)."""
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))
    except FileNotFoundError:
        return []


def root_batch(topology: Topology) -> list[str]:
    """Create every namespace and every veth pair, each end placed in its namespace."""
    lab = topology.name
    lines = [f"netns add {ns}" for ns in lab_namespaces(topology)]
    for link in topology.links:
        a_ns, b_ns = namespace(lab, link.a.node), namespace(lab, link.b.node)
        if link.kind is LinkKind.ACCESS:
            lines.append(_veth(link.a.interface, a_ns, link.b.interface, b_ns))
        else:
            mid = link_namespace(lab, link.name)
            lines.append(_veth(link.a.interface, a_ns, link.a.node, mid))
            lines.append(_veth(link.b.interface, b_ns, link.b.node, mid))
    return lines


def _veth(name: str, ns: str, peer: str, peer_ns: str) -> str:
    return f"link add name {name} netns {ns} type veth peer name {peer} netns {peer_ns}"


def node_batch(topology: Topology, node: str) -> list[str]:
    """Inside a node's namespace: loopback up, addresses on its link ends, links up."""
    lines = ["link set dev lo up"]
    for link in topology.links_of(node):
        end = link.a if link.a.node == node else link.b
        lines.append(f"addr add {end.address} dev {end.interface}")
        if link.kind is LinkKind.CORE:
            lines.append(f"link set dev {end.interface} mtu {CORE_MTU}")
        lines.append(f"link set dev {end.interface} up")
    return lines


def link_batch(link: Link) -> list[str]:
    """Inside a core link's namespace: both ends up, with no IPv6 link-local address."""
    lines = []
    for end in (link.a.node, link.b.node):
        lines.append(f"link set dev {end} addrgenmode none")
        lines.append(f"link set dev {end} mtu {CORE_MTU} up")
    return lines


REDIRECT_FILTER = "protocol all prio 1 handle 800::800 u32"


def bridge_tc_batch(link: Link) -> list[str]:
    """tc batch joining the two ends of a core link's namespace (frames pass unchanged).

    Each end gets a ``clsact`` qdisc once, when the lab is built, and keeps
    it: adding or removing a qdisc deactivates the device for a moment, and
    the kernel drops what is sent through it meanwhile.  Impairing a link
    only removes and puts back the redirect filters (:func:`redirect_tc_batch`,
    :func:`unbridge_tc_batch`), which takes effect without a gap.
    """
    return [f"qdisc replace dev {end} clsact" for end in (link.a.node, link.b.node)] + (
        redirect_tc_batch(link)
    )


def redirect_tc_batch(link: Link) -> list[str]:
    """tc batch (re)placing the redirect filter of each end (idempotent)."""
    return [
        f"filter replace dev {src} ingress {REDIRECT_FILTER} match u32 0 0 "
        f"action mirred egress redirect dev {dst}"
        for src, dst in ((link.a.node, link.b.node), (link.b.node, link.a.node))
    ]


def unbridge_tc_batch(link: Link) -> list[str]:
    """tc batch removing the redirect filters (the impairment shuttle forwards instead)."""
    return [f"filter del dev {end} ingress {REDIRECT_FILTER}" for end in (link.a.node, link.b.node)]


def run_batch(lines: Sequence[str], *, netns: str | None = None, tool: str = IP) -> None:
    """Run ``lines`` as one ``ip -batch`` (or ``tc -batch``), in ``netns`` if given."""
    if not lines:
        return
    argv = [tool]
    if netns is not None:
        argv = [IP, "netns", "exec", netns, tool] if tool == TC else [IP, "-n", netns]
    argv += ["-batch", "-"]
    result = subprocess.run(
        argv, input="\n".join(lines) + "\n", capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        where = f" in {netns}" if netns else ""
        raise NamespaceError(
            f"{Path(tool).name} failed{where}: {batch_failure(result.stderr, lines)}"
        )


def batch_failure(stderr: str, lines: Sequence[str]) -> str:
    """The error of a failed batch, with the batch line that failed when the tool names it."""
    detail = stderr.strip().splitlines()
    if not detail:
        return "?"
    failed = re.fullmatch(r"Command failed -:(\d+)", detail[-1])
    if failed is None or len(detail) < 2 or not 0 < int(failed[1]) <= len(lines):
        return detail[-1]
    return f"{detail[-2]} (batch line {failed[1]}: {lines[int(failed[1]) - 1]})"


def build(topology: Topology) -> None:
    """Create the namespaces and links of ``topology`` and configure them (in parallel)."""
    run_batch(root_batch(topology))
    jobs: list[tuple[list[str], str, str]] = [
        (node_batch(topology, n.name), namespace(topology.name, n.name), IP) for n in topology.nodes
    ]
    for link in topology.links:
        if link.kind is LinkKind.CORE:
            mid = link_namespace(topology.name, link.name)
            jobs.append((link_batch(link), mid, IP))
            jobs.append((bridge_tc_batch(link), mid, TC))
    _parallel(jobs)


def _parallel(jobs: Iterable[tuple[list[str], str, str]]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(run_batch, lines, netns=ns, tool=tool) for lines, ns, tool in jobs]
        for future in futures:
            future.result()


def delete(names: Iterable[str]) -> None:
    """Delete namespaces (missing ones are fine); veths die with their namespace."""
    present = set(existing_namespaces(""))
    lines = [f"netns delete {ns}" for ns in names if ns in present]
    if lines:
        subprocess.run(
            [IP, "-force", "-batch", "-"],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
