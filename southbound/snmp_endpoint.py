"""SNMP endpoints: where a device's agent listens and which credentials it takes.

Pure data built from the inventory (:mod:`southbound.inventory`) with the
secrets resolved; :mod:`southbound.snmp` turns an endpoint into pysnmp
targets.  Security: SNMPv2c communities (RFC 3584 section 5) and SNMPv3 USM at
security level authPriv (RFC 3414; HMAC-SHA-96, RFC 3414 section 7, or
HMAC-SHA-256-192, RFC 7860; AES-128-CFB, RFC 3826).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from southbound.inventory import (
    CommunitySecret,
    Device,
    Inventory,
    InventoryError,
    UsmAuthProtocol,
    UsmSecret,
)


class AuthProtocol(StrEnum):
    SHA = "SHA"  # HMAC-SHA-96, RFC 3414 section 7
    SHA256 = "SHA256"  # HMAC-SHA-256-192, RFC 7860


class PrivProtocol(StrEnum):
    AES = "AES"  # AES-128-CFB, RFC 3826
    AES256 = "AES256"


@dataclass(frozen=True, kw_only=True)
class Community:
    """SNMPv2c community (RFC 3584)."""

    community: str = field(repr=False)


@dataclass(frozen=True, kw_only=True)
class UsmUser:
    """SNMPv3 USM user at security level authPriv (RFC 3414)."""

    user: str
    auth_key: str = field(repr=False)
    priv_key: str = field(repr=False)
    auth_protocol: AuthProtocol = AuthProtocol.SHA
    priv_protocol: PrivProtocol = PrivProtocol.AES


@dataclass(frozen=True, kw_only=True)
class SnmpEndpoint:
    """Where and how to reach one device's agent."""

    device: str
    host: str
    port: int
    security: Community | UsmUser
    timeout: float = 1.0
    retries: int = 1


class SnmpVersion(StrEnum):
    AUTO = "auto"  # v3 when the inventory has a USM user, else v2c
    V2C = "v2c"
    V3 = "v3"


_INVENTORY_AUTH = {
    UsmAuthProtocol.SHA: AuthProtocol.SHA,
    UsmAuthProtocol.SHA256: AuthProtocol.SHA256,
}


def endpoint_for(
    device: Device,
    inventory: Inventory,
    *,
    version: SnmpVersion = SnmpVersion.AUTO,
    timeout: float = 1.0,
    retries: int = 1,
) -> SnmpEndpoint:
    """The SNMP endpoint of an inventory device, with its secrets resolved."""
    target = device.snmp
    if target is None:
        raise InventoryError(f"device {device.name!r} has no SNMP target")
    use_v3 = version is SnmpVersion.V3 or (
        version is SnmpVersion.AUTO and target.v3_user and target.v3_credential
    )
    security: Community | UsmUser
    if use_v3:
        if not (target.v3_user and target.v3_credential):
            raise InventoryError(f"device {device.name!r} has no SNMPv3 user")
        secret = inventory.secret(target.v3_credential)
        if not isinstance(secret, UsmSecret):
            raise InventoryError(f"secret {target.v3_credential!r} is not a USM secret")
        security = UsmUser(
            user=target.v3_user,
            auth_key=secret.auth_key,
            priv_key=secret.priv_key,
            auth_protocol=_INVENTORY_AUTH[secret.auth_protocol],
            priv_protocol=PrivProtocol.AES,
        )
    else:
        if not target.community_ref:
            raise InventoryError(f"device {device.name!r} has no SNMP community")
        community = inventory.secret(target.community_ref)
        if not isinstance(community, CommunitySecret):
            raise InventoryError(f"secret {target.community_ref!r} is not a community")
        security = Community(community=community.community)
    return SnmpEndpoint(
        device=device.name,
        host=target.host,
        port=target.port,
        security=security,
        timeout=timeout,
        retries=retries,
    )
