"""SSH keys and SNMP secrets of a lab, made in-process (no ssh-keygen per router)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lab.agents import SnmpSecrets


def write_ed25519_key(path: Path, *, comment: str) -> str:
    """Write a new OpenSSH Ed25519 private key (mode 0600); return its public line."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private)
    line = f"{public.decode()} {comment}"
    path.with_name(path.name + ".pub").write_text(line + "\n")
    return line


def read_public_key(path: Path) -> str:
    """``type base64`` of the public key next to private key ``path``."""
    kind, blob = path.with_name(path.name + ".pub").read_text().split()[:2]
    return f"{kind} {blob}"


def known_hosts_line(*, host: str, port: int, public_key: str) -> str:
    """An OpenSSH known_hosts entry for a non-standard port: ``[host]:port type key``."""
    return f"[{host}]:{port} {public_key}"


def new_snmp_secrets() -> SnmpSecrets:
    """A random community and v3 passphrases (net-snmp needs at least 8 characters)."""
    return SnmpSecrets(
        community=secrets.token_hex(8),
        auth_key=secrets.token_hex(12),
        priv_key=secrets.token_hex(12),
    )
