"""endpoint_for: an inventory device's SNMP endpoint, with its secrets resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from southbound.inventory import (
    CommunitySecret,
    Device,
    Inventory,
    InventoryError,
    NetconfTarget,
    SnmpTarget,
    UsmAuthProtocol,
    UsmPrivProtocol,
    UsmSecret,
    write_secrets,
)
from southbound.snmp_endpoint import (
    AuthProtocol,
    Community,
    SnmpVersion,
    UsmUser,
    endpoint_for,
)


def _inventory(tmp_path: Path, snmp: SnmpTarget) -> tuple[Device, Inventory]:
    secrets = tmp_path / "secrets.yaml"
    write_secrets(
        secrets,
        {
            "community": CommunitySecret(community="c0mmunity"),
            "usm": UsmSecret(
                auth_protocol=UsmAuthProtocol.SHA256,
                auth_key="auth-passphrase",
                priv_protocol=UsmPrivProtocol.AES,
                priv_key="priv-passphrase",
            ),
        },
    )
    device = Device(
        name="pe1",
        platform="netsla-router",
        netconf=NetconfTarget(host="127.0.0.1", port=830, username="u", credential="usm"),
        snmp=snmp,
    )
    inventory = Inventory(
        devices={"pe1": device}, known_hosts=tmp_path / "known_hosts", secrets_path=secrets
    )
    return device, inventory


def test_auto_picks_v3_when_the_device_has_a_usm_user(tmp_path: Path) -> None:
    target = SnmpTarget(
        host="127.0.0.1", port=1161, community_ref="community", v3_user="op", v3_credential="usm"
    )
    device, inventory = _inventory(tmp_path, target)
    endpoint = endpoint_for(device, inventory, timeout=2.5, retries=3)
    assert endpoint.device == "pe1"
    assert (endpoint.host, endpoint.port, endpoint.timeout, endpoint.retries) == (
        "127.0.0.1",
        1161,
        2.5,
        3,
    )
    assert isinstance(endpoint.security, UsmUser)
    assert endpoint.security.user == "op"
    assert endpoint.security.auth_key == "auth-passphrase"
    assert endpoint.security.priv_key == "priv-passphrase"
    assert endpoint.security.auth_protocol is AuthProtocol.SHA256


def test_v2c_uses_the_community_even_when_a_usm_user_exists(tmp_path: Path) -> None:
    target = SnmpTarget(
        host="127.0.0.1", port=1161, community_ref="community", v3_user="op", v3_credential="usm"
    )
    device, inventory = _inventory(tmp_path, target)
    endpoint = endpoint_for(device, inventory, version=SnmpVersion.V2C)
    assert endpoint.security == Community(community="c0mmunity")


def test_missing_credentials_are_inventory_errors(tmp_path: Path) -> None:
    device, inventory = _inventory(tmp_path, SnmpTarget(host="127.0.0.1", port=1161))
    with pytest.raises(InventoryError, match="no SNMP community"):
        endpoint_for(device, inventory)
    with pytest.raises(InventoryError, match="no SNMPv3 user"):
        endpoint_for(device, inventory, version=SnmpVersion.V3)
    wrong = SnmpTarget(host="127.0.0.1", port=1161, community_ref="usm")
    device, inventory = _inventory(tmp_path, wrong)
    with pytest.raises(InventoryError, match="not a community"):
        endpoint_for(device, inventory)
