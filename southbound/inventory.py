"""The device inventory: which devices exist and how to reach them.

The inventory is a YAML file (written by ``netsla lab up`` for the lab, or by
hand for real networks).  It names each device, its platform, its NETCONF
(RFC 6241 over SSH, RFC 6242) and SNMP targets, and refers to credentials by
name only: the credentials themselves live in a separate secrets file that is
readable by root only, and SSH host keys live in a ``known_hosts`` file.
Relative paths in the inventory are relative to the inventory file.

Format (version 1)::

    version: 1
    known_hosts: known_hosts
    secrets: secrets.yaml
    devices:
      - name: pe1
        platform: netsla-router
        namespace: netsla-pe1          # lab only
        netconf: {host: 127.0.0.1, port: 18300, username: netsla-lab, credential: netconf}
        snmp: {host: 127.0.0.1, port: 18301, community_ref: snmp-community,
               v3_user: netsla, v3_credential: snmp-v3}
        interfaces:
          - {name: eth1, role: access, peer: ce1a, peer_interface: eth0, address: 10.1.0.1/30}
    hosts:                             # lab only: customer-edge hosts
      - {name: ce1a, namespace: netsla-ce1a, interfaces: [...]}

Secrets file::

    secrets:
      netconf: {kind: ssh-key, private_key_file: netconf_key}
      snmp-community: {kind: community, community: "..."}
      snmp-v3: {kind: usm, auth_protocol: SHA, auth_key: "...", priv_protocol: AES, priv_key: "..."}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from southbound.errors import SouthboundError

INVENTORY_VERSION = 1


class InventoryError(SouthboundError, ValueError):
    """The inventory or its secrets file is missing or malformed."""


class InterfaceRole(StrEnum):
    ACCESS = "access"
    CORE = "core"


class SecretKind(StrEnum):
    SSH_KEY = "ssh-key"
    PASSWORD = "password"
    COMMUNITY = "community"
    USM = "usm"


class UsmAuthProtocol(StrEnum):
    """SNMPv3 USM authentication protocols (RFC 3414, RFC 7860)."""

    SHA = "SHA"
    SHA256 = "SHA-256"


class UsmPrivProtocol(StrEnum):
    """SNMPv3 USM privacy protocols (RFC 3826 for AES-128)."""

    AES = "AES"


@dataclass(frozen=True, kw_only=True)
class NetconfTarget:
    host: str
    port: int
    username: str
    credential: str


@dataclass(frozen=True, kw_only=True)
class SnmpTarget:
    host: str
    port: int
    community_ref: str | None = None
    v3_user: str | None = None
    v3_credential: str | None = None


@dataclass(frozen=True, kw_only=True)
class Interface:
    name: str
    role: InterfaceRole
    peer: str | None = None
    peer_interface: str | None = None
    address: str | None = None
    link: str | None = None


@dataclass(frozen=True, kw_only=True)
class Device:
    name: str
    platform: str
    netconf: NetconfTarget
    snmp: SnmpTarget | None = None
    namespace: str | None = None
    interfaces: tuple[Interface, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Host:
    """A customer-edge host of the lab (no agents; reachable by namespace)."""

    name: str
    namespace: str
    interfaces: tuple[Interface, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SshKeySecret:
    private_key_file: Path


@dataclass(frozen=True, kw_only=True)
class PasswordSecret:
    password: str


@dataclass(frozen=True, kw_only=True)
class CommunitySecret:
    community: str


@dataclass(frozen=True, kw_only=True)
class UsmSecret:
    """SNMPv3 user-based security model keys (RFC 3414), as passphrases."""

    auth_protocol: UsmAuthProtocol
    auth_key: str
    priv_protocol: UsmPrivProtocol
    priv_key: str


Secret = SshKeySecret | PasswordSecret | CommunitySecret | UsmSecret


@dataclass(kw_only=True)
class Inventory:
    devices: dict[str, Device]
    known_hosts: Path
    secrets_path: Path
    hosts: dict[str, Host] = field(default_factory=dict)
    lab: str | None = None
    _secrets: dict[str, Secret] | None = field(default=None, repr=False)

    def secret(self, ref: str) -> Secret:
        """The secret named ``ref``, read from the secrets file on first use."""
        if self._secrets is None:
            self._secrets = load_secrets(self.secrets_path)
        try:
            return self._secrets[ref]
        except KeyError:
            raise InventoryError(f"{self.secrets_path}: no secret named {ref!r}") from None


def _require(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise InventoryError(f"{where}: missing {key!r}")
    return data[key]


def _interfaces(items: Any, where: str) -> tuple[Interface, ...]:
    result = []
    for item in items or ():
        result.append(
            Interface(
                name=str(_require(item, "name", where)),
                role=InterfaceRole(item.get("role", InterfaceRole.ACCESS)),
                peer=item.get("peer"),
                peer_interface=item.get("peer_interface"),
                address=item.get("address"),
                link=item.get("link"),
            )
        )
    return tuple(result)


def device_from_dict(data: Mapping[str, Any]) -> Device:
    """One device entry of the inventory, checked."""
    name = str(_require(data, "name", "device"))
    where = f"device {name!r}"
    nc = _require(data, "netconf", where)
    snmp = data.get("snmp")
    return Device(
        name=name,
        platform=str(_require(data, "platform", where)),
        namespace=data.get("namespace"),
        netconf=NetconfTarget(
            host=str(_require(nc, "host", where)),
            port=int(_require(nc, "port", where)),
            username=str(_require(nc, "username", where)),
            credential=str(_require(nc, "credential", where)),
        ),
        snmp=None
        if snmp is None
        else SnmpTarget(
            host=str(_require(snmp, "host", where)),
            port=int(_require(snmp, "port", where)),
            community_ref=snmp.get("community_ref"),
            v3_user=snmp.get("v3_user"),
            v3_credential=snmp.get("v3_credential"),
        ),
        interfaces=_interfaces(data.get("interfaces"), where),
    )


def _interface_to_dict(interface: Interface) -> dict[str, Any]:
    out: dict[str, Any] = {"name": interface.name, "role": str(interface.role)}
    for key in ("peer", "peer_interface", "address", "link"):
        value = getattr(interface, key)
        if value is not None:
            out[key] = value
    return out


def device_to_dict(device: Device) -> dict[str, Any]:
    """The inverse of :func:`device_from_dict`."""
    out: dict[str, Any] = {"name": device.name, "platform": device.platform}
    if device.namespace is not None:
        out["namespace"] = device.namespace
    nc = device.netconf
    out["netconf"] = {
        "host": nc.host,
        "port": nc.port,
        "username": nc.username,
        "credential": nc.credential,
    }
    if device.snmp is not None:
        snmp = {"host": device.snmp.host, "port": device.snmp.port}
        for key in ("community_ref", "v3_user", "v3_credential"):
            value = getattr(device.snmp, key)
            if value is not None:
                snmp[key] = value
        out["snmp"] = snmp
    out["interfaces"] = [_interface_to_dict(i) for i in device.interfaces]
    return out


def inventory_to_dict(inventory: Inventory, *, base: Path) -> dict[str, Any]:
    """The inventory as the YAML document, with paths relative to ``base`` when below it."""

    def rel(path: Path) -> str:
        return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)

    out: dict[str, Any] = {"version": INVENTORY_VERSION}
    if inventory.lab is not None:
        out["lab"] = inventory.lab
    out["known_hosts"] = rel(inventory.known_hosts)
    out["secrets"] = rel(inventory.secrets_path)
    out["devices"] = [device_to_dict(d) for d in inventory.devices.values()]
    out["hosts"] = [
        {
            "name": h.name,
            "namespace": h.namespace,
            "interfaces": [_interface_to_dict(i) for i in h.interfaces],
        }
        for h in inventory.hosts.values()
    ]
    return out


def inventory_from_dict(data: Any, *, base: Path) -> Inventory:
    """Parse the inventory document; relative paths resolve against ``base``."""
    if not isinstance(data, Mapping):
        raise InventoryError("inventory: not a mapping")
    version = data.get("version", INVENTORY_VERSION)
    if version != INVENTORY_VERSION:
        raise InventoryError(f"inventory: unsupported version {version!r}")
    devices: dict[str, Device] = {}
    for item in data.get("devices") or ():
        device = device_from_dict(item)
        if device.name in devices:
            raise InventoryError(f"inventory: duplicate device {device.name!r}")
        devices[device.name] = device
    hosts = {
        str(h["name"]): Host(
            name=str(h["name"]),
            namespace=str(_require(h, "namespace", f"host {h['name']!r}")),
            interfaces=_interfaces(h.get("interfaces"), f"host {h['name']!r}"),
        )
        for h in data.get("hosts") or ()
    }
    return Inventory(
        devices=devices,
        hosts=hosts,
        lab=data.get("lab"),
        known_hosts=base / str(data.get("known_hosts", "known_hosts")),
        secrets_path=base / str(data.get("secrets", "secrets.yaml")),
    )


def _yaml_problem(exc: Exception) -> str:
    """A YAML parser's error on one line, with its position (line and column from 1)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def load_inventory(path: Path | str) -> Inventory:
    """Read an inventory file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InventoryError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    return inventory_from_dict(data, base=path.parent.resolve())


def secret_from_dict(ref: str, data: Mapping[str, Any], *, base: Path) -> Secret:
    """One entry of the secrets file."""
    kind = SecretKind(_require(data, "kind", f"secret {ref!r}"))
    if kind is SecretKind.SSH_KEY:
        return SshKeySecret(private_key_file=base / str(data["private_key_file"]))
    if kind is SecretKind.PASSWORD:
        return PasswordSecret(password=str(data["password"]))
    if kind is SecretKind.COMMUNITY:
        return CommunitySecret(community=str(data["community"]))
    return UsmSecret(
        auth_protocol=UsmAuthProtocol(data["auth_protocol"]),
        auth_key=str(data["auth_key"]),
        priv_protocol=UsmPrivProtocol(data["priv_protocol"]),
        priv_key=str(data["priv_key"]),
    )


def secret_to_dict(secret: Secret, *, base: Path) -> dict[str, Any]:
    """The inverse of :func:`secret_from_dict`."""
    if isinstance(secret, SshKeySecret):
        key = secret.private_key_file
        path = key.relative_to(base) if key.is_relative_to(base) else key
        return {"kind": str(SecretKind.SSH_KEY), "private_key_file": str(path)}
    if isinstance(secret, PasswordSecret):
        return {"kind": str(SecretKind.PASSWORD), "password": secret.password}
    if isinstance(secret, CommunitySecret):
        return {"kind": str(SecretKind.COMMUNITY), "community": secret.community}
    return {
        "kind": str(SecretKind.USM),
        "auth_protocol": str(secret.auth_protocol),
        "auth_key": secret.auth_key,
        "priv_protocol": str(secret.priv_protocol),
        "priv_key": secret.priv_key,
    }


def load_secrets(path: Path) -> dict[str, Secret]:
    """Read the secrets file (it must not be readable by group or others)."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise InventoryError(f"{path}: secrets file is readable by others (mode {mode:o})")
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InventoryError(f"{path}: {exc.strerror}") from None
    except (yaml.YAMLError, AttributeError) as exc:
        raise InventoryError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    entries = (data or {}).get("secrets") or {}
    base = path.parent.resolve()
    try:
        return {
            str(ref): secret_from_dict(str(ref), item, base=base) for ref, item in entries.items()
        }
    except (KeyError, ValueError) as exc:
        raise InventoryError(f"{path}: malformed secret: {exc}") from None


def write_secrets(path: Path, secrets: Mapping[str, Secret]) -> None:
    """Write the secrets file with mode 0600 (created so, never widened)."""
    base = path.parent.resolve()
    doc = {"secrets": {ref: secret_to_dict(s, base=base) for ref, s in secrets.items()}}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        yaml.safe_dump(doc, out, sort_keys=False)
    os.replace(tmp, path)
