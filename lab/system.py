"""Host prerequisites of a lab: root, the NETCONF login user, free ports."""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from collections.abc import Iterable
from pathlib import Path

from lab.errors import LabError
from lab.state import LOCALHOST, NETCONF_USER

SHADOW = Path("/etc/shadow")


class PrerequisiteError(LabError):
    """The host is not ready for a lab (not root, port taken, user missing)."""


def require_root() -> None:
    if os.geteuid() != 0:
        raise PrerequisiteError("the lab needs root (network namespaces, agents)")


def _locked(user: str) -> bool:
    for line in SHADOW.read_text().splitlines():
        name, _, rest = line.partition(":")
        if name == user:
            return rest.startswith("!")
    return False


def ensure_netconf_user() -> None:
    """Create the NETCONF login user (plain /bin/sh shell, no password) if missing.

    sshd starts the subsystem through the user's shell, so a shell without rc
    files keeps session set-up cheap.  The account must not be locked ('!'),
    or sshd refuses even public-key logins.
    """
    try:
        pwd.getpwnam(NETCONF_USER)
    except KeyError:
        subprocess.run(
            ["/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/bin/sh", NETCONF_USER],
            capture_output=True, check=False,
        )  # fmt: skip
        try:
            pwd.getpwnam(NETCONF_USER)
        except KeyError:
            raise PrerequisiteError(f"cannot create user {NETCONF_USER}") from None
    if _locked(NETCONF_USER):
        subprocess.run(["/usr/sbin/usermod", "-p", "*", NETCONF_USER], check=True)


def ports_in_use(ports: Iterable[tuple[str, int]]) -> list[str]:
    """Which of (proto, port) cannot be bound on 127.0.0.1 right now."""
    taken = []
    for proto, port in ports:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((LOCALHOST, port))
            except OSError:
                taken.append(f"{proto}/{port}")
    return taken
