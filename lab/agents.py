"""The agents of a lab router: netconfd behind its own sshd, and snmpd.

Configuration builders are pure functions of the router's folder and the
lab's secrets; :func:`start` and :func:`stop` spawn and stop the processes
(inside the router's namespace) and record their PIDs.

Each router also runs its SLA prober (:mod:`lab.prober`), a daemon of the
router like the agents: started by ``lab up``, stopped by ``lab down``, and
left running by ``stop-agent``/``start-agent`` (a router's probes keep
measuring while its SNMP agent is down, as on a real router).  snmpd
publishes the prober's results through two pass_persist helpers
(:mod:`lab.passpersist`, DISMAN-PING-MIB and netsla's extension of it),
which snmpd starts itself and which end with it.

netconfd (yuma123) runs with ``--with-startup=false``: without the
``:startup`` capability (RFC 6241, section 8.7) the server writes the running
configuration to its ``--startup`` file on every commit, so a router's
configuration survives an agent restart without a copy-config.  It loads
netsla-router by name from ``$YUMA_MODPATH`` (the repository's ``yang``
folder) so that it also finds the module's instrumentation library
(:mod:`lab.sil`) in ``$YUMA_RUNPATH``; the library serves the prober's
results as ``/nr:native-state``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lab import process, sil
from lab.errors import LabError
from lab.state import NETCONF_USER, SNMP_V3_USER, LabPaths
from southbound import oids

NETCONFD = "/usr/sbin/netconfd"
NETCONF_SUBSYSTEM = "/usr/sbin/netconf-subsystem"
SSHD = "/usr/sbin/sshd"
SSHD_PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start without it
SNMPD = "/usr/sbin/snmpd"
NETCONF_PORT = 830  # RFC 6242, section 3
SNMP_PORT = 161
YANG_DIR = Path(__file__).resolve().parent.parent / "yang"
ROUTER_MODULE = "netsla-router"
HELPER_BIN = Path(__file__).resolve().parent / "bin"
EMPTY_STARTUP = '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n'
READY_TIMEOUT = 10.0


class Agent(StrEnum):
    """What ``stop-agent``/``start-agent`` act on."""

    NETCONF = "netconf"
    SNMP = "snmp"


class Daemon(StrEnum):
    NETCONFD = "netconfd"
    SSHD = "sshd"
    SNMPD = "snmpd"
    PROBER = "prober"


AGENT_DAEMONS = {Agent.NETCONF: (Daemon.NETCONFD, Daemon.SSHD), Agent.SNMP: (Daemon.SNMPD,)}


class AgentError(LabError):
    """An agent did not start."""


@dataclass(frozen=True, kw_only=True)
class SnmpSecrets:
    community: str
    auth_key: str
    priv_key: str


@dataclass(frozen=True, kw_only=True)
class RouterFiles:
    """Files of one router's agents, all inside its folder."""

    dir: Path
    sil_dir: Path | None = None  # folder of the native module's SIL library

    @property
    def socket(self) -> Path:
        return self.dir / "netconfd.sock"

    @property
    def startup(self) -> Path:
        return self.dir / "startup.xml"

    @property
    def host_key(self) -> Path:
        return self.dir / "ssh_host_ed25519_key"

    @property
    def sshd_config(self) -> Path:
        return self.dir / "sshd_config"

    @property
    def snmpd_conf(self) -> Path:
        return self.dir / "snmpd.conf"

    @property
    def snmp_dir(self) -> Path:
        return self.dir / "snmp"

    @property
    def probe_results(self) -> Path:
        return self.dir / "probes.json"

    @property
    def native_state(self) -> Path:
        return self.dir / "native-state.xml"

    def log(self, daemon: Daemon) -> Path:
        return self.dir / f"{daemon}.log"

    def pidfile(self, daemon: Daemon) -> Path:
        return self.dir / f"{daemon}.pid"


def netconfd_argv(files: RouterFiles) -> list[str]:
    return [
        NETCONFD,
        f"--ncxserver-sockname={files.socket}",
        f"--port={NETCONF_PORT}",
        f"--startup={files.startup}",
        "--with-startup=false",
        f"--module={ROUTER_MODULE}",
        "--module=ietf-interfaces",
        "--access-control=off",
        f"--superuser={NETCONF_USER}",
        f"--log={files.log(Daemon.NETCONFD)}",
        "--log-level=info",
    ]


def netconfd_env(files: RouterFiles) -> dict[str, str]:
    """netconfd needs ``get-interface-ipv4`` on PATH and a HOME of its own (~/.yuma).

    The native module is found in ``$YUMA_MODPATH``, its SIL library in
    ``$YUMA_RUNPATH`` (when the lab built one) and the state document it
    serves through ``$NETSLA_NATIVE_STATE``.
    """
    env = {
        "PATH": f"{HELPER_BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(files.dir),
        "LANG": "C.UTF-8",
        sil.MODPATH_VARIABLE: str(YANG_DIR),
        sil.STATE_FILE_VARIABLE: str(files.native_state),
    }
    if files.sil_dir is not None:
        env[sil.RUNPATH_VARIABLE] = str(files.sil_dir)
    return env


def sshd_config(files: RouterFiles, *, authorized_keys: Path) -> str:
    """sshd for NETCONF only: one user, public keys only, the ``netconf`` subsystem."""
    lines = [
        f"Port {NETCONF_PORT}",
        f"HostKey {files.host_key}",
        f"PidFile {files.dir / 'sshd.own.pid'}",
        f"AuthorizedKeysFile {authorized_keys}",
        f"AllowUsers {NETCONF_USER}",
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "PermitTTY no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "AllowAgentForwarding no",
        "PrintMotd no",
        "UseDNS no",
        "MaxStartups 100",
        "MaxSessions 100",
        f"Subsystem netconf {NETCONF_SUBSYSTEM} --ncxserver-sockname={NETCONF_PORT}@{files.socket}",
    ]
    return "\n".join(lines) + "\n"


def sshd_argv(files: RouterFiles) -> list[str]:
    return [SSHD, "-D", "-e", "-f", str(files.sshd_config)]


def snmpd_conf(files: RouterFiles, *, router: str, lab: str, secrets: SnmpSecrets) -> str:
    """net-snmp configuration: v2c community and one v3 authPriv user (SHA/AES)."""
    lines = [
        f"agentAddress udp:{SNMP_PORT}",
        f"engineID netsla-{lab}-{router}",
        f"sysName {router}",
        f"sysLocation netsla lab {lab}",
        "sysContact netsla",
        f"rocommunity {secrets.community} default",
        f'createUser {SNMP_V3_USER} SHA "{secrets.auth_key}" AES "{secrets.priv_key}"',
        f"rouser {SNMP_V3_USER} priv",
        "dontLogTCPWrappersConnects yes",
    ]
    for root in (oids.PING_MIB, oids.NETSLA_ENTERPRISE):
        helper = [sys.executable, "-m", "lab.passpersist", str(files.probe_results), root]
        lines.append(f"pass_persist .{root} {' '.join(helper)}")
    return "\n".join(lines) + "\n"


def prober_argv(files: RouterFiles) -> list[str]:
    """The prober's command line.

    It is told its lab and router (the names of the lab's and the router's
    folders) to find the namespaces of the router's VRFs.
    """
    return [
        sys.executable,
        "-m",
        "lab.prober",
        str(files.startup),
        str(files.probe_results),
        str(files.native_state),
        files.dir.parent.name,
        files.dir.name,
    ]


def prober_env() -> dict[str, str]:
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONUNBUFFERED": "1"}


def snmpd_argv(files: RouterFiles) -> list[str]:
    return [
        SNMPD,
        "-f",
        "-C",
        "-c",
        str(files.snmpd_conf),
        "-p",
        str(files.dir / "snmpd.own.pid"),
        "-Lf",
        str(files.log(Daemon.SNMPD)),
        "-m",
        "",
        "-I",
        "-smux",
    ]


def snmpd_env(files: RouterFiles) -> dict[str, str]:
    """snmpd keeps its engine boots and USM keys in a folder of the router's own."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SNMP_PERSISTENT_DIR": str(files.snmp_dir)}


def write_router_files(
    files: RouterFiles, *, router: str, lab: LabPaths, snmp: SnmpSecrets
) -> None:
    """Write every configuration file of a router's agents (startup only if missing)."""
    files.dir.mkdir(parents=True, exist_ok=True)
    files.snmp_dir.mkdir(mode=0o700, exist_ok=True)
    if not files.startup.exists():
        files.startup.write_text(EMPTY_STARTUP)
    files.sshd_config.write_text(sshd_config(files, authorized_keys=lab.authorized_keys))
    fd = os.open(files.snmpd_conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(snmpd_conf(files, router=router, lab=lab.lab, secrets=snmp))


def start(files: RouterFiles, daemons: Sequence[Daemon], *, netns: str) -> None:
    """Spawn ``daemons`` inside ``netns`` (stale sockets removed first); do not wait."""
    for daemon in daemons:
        if daemon is Daemon.NETCONFD:
            files.socket.unlink(missing_ok=True)
            argv, env = netconfd_argv(files), netconfd_env(files)
        elif daemon is Daemon.SSHD:
            # /run is emptied at boot; only Debian's own ssh service makes it again.
            SSHD_PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
            argv, env = sshd_argv(files), {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        elif daemon is Daemon.PROBER:
            argv, env = prober_argv(files), prober_env()
        else:
            argv, env = snmpd_argv(files), snmpd_env(files)
        process.spawn(
            argv, netns=netns, log=files.log(daemon), pidfile=files.pidfile(daemon), env=env
        )


def _listening(pid: int, *, proto: str, port: int) -> bool:
    """Whether the namespace of ``pid`` has a socket bound to ``port`` (any address)."""
    suffix = f":{port:04X}"
    try:
        lines = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if fields[1].endswith(suffix) and (proto == "udp" or fields[3] == "0A"):
            return True
    return False


def ready(files: RouterFiles, daemon: Daemon, *, marker: str) -> bool:
    """Whether ``daemon`` runs and accepts work (socket bound or listening)."""
    pid = process.running(files.pidfile(daemon), marker)
    if pid is None:
        return False
    if daemon is Daemon.NETCONFD:
        return _unix_connects(files.socket)
    if daemon is Daemon.SSHD:
        return _listening(pid, proto="tcp", port=NETCONF_PORT)
    if daemon is Daemon.PROBER:
        return files.probe_results.exists()
    return _listening(pid, proto="udp", port=SNMP_PORT)


def _unix_connects(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def wait_ready(
    jobs: Sequence[tuple[RouterFiles, Daemon]], *, marker: str, timeout: float = READY_TIMEOUT
) -> None:
    """Wait until every (router, daemon) is ready; name the first laggard on timeout."""
    deadline = time.monotonic() + timeout
    pending = list(jobs)
    while pending:
        pending = [(f, d) for f, d in pending if not ready(f, d, marker=marker)]
        if not pending:
            return
        files, daemon = pending[0]
        if process.running(files.pidfile(daemon), marker) is None:
            raise AgentError(f"{daemon} of {files.dir.name} exited; see {files.log(daemon)}")
        if time.monotonic() > deadline:
            raise AgentError(f"{daemon} of {files.dir.name} not ready after {timeout:.0f} s")
        time.sleep(0.01)


def stop(files: RouterFiles, daemons: Sequence[Daemon], *, marker: str) -> None:
    """Stop ``daemons`` by PID and wait for them (netconfd takes 1-5 s on SIGTERM)."""
    process.stop_pidfiles([files.pidfile(d) for d in daemons], marker)
    if Daemon.NETCONFD in daemons:
        files.socket.unlink(missing_ok=True)
