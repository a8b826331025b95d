"""What the lab tells the controller: inventory, known_hosts, ssh_config, secrets.

The inventory itself is built as :mod:`southbound.inventory` dataclasses and
written in that module's format, so reader and writer cannot drift apart.
"""

from __future__ import annotations

import yaml

from lab.agents import SnmpSecrets
from lab.state import (
    LOCALHOST,
    NETCONF_CREDENTIAL,
    NETCONF_USER,
    PLATFORM,
    SNMP_COMMUNITY_REF,
    SNMP_V3_CREDENTIAL,
    SNMP_V3_USER,
    LabPaths,
    RouterFacts,
    namespace,
)
from lab.topology import LinkKind, Topology
from southbound.inventory import (
    CommunitySecret,
    Device,
    Host,
    Interface,
    InterfaceRole,
    Inventory,
    NetconfTarget,
    Secret,
    SnmpTarget,
    SshKeySecret,
    UsmAuthProtocol,
    UsmPrivProtocol,
    UsmSecret,
    inventory_to_dict,
    write_secrets,
)


def router_facts(topology: Topology, *, port_base: int) -> tuple[RouterFacts, ...]:
    """Published ports: router i gets NETCONF on base+2i and SNMP on base+2i+1."""
    return tuple(
        RouterFacts(
            name=router.name,
            namespace=namespace(topology.name, router.name),
            netconf_port=port_base + 2 * i,
            snmp_port=port_base + 2 * i + 1,
        )
        for i, router in enumerate(topology.routers)
    )


def _interfaces(topology: Topology, node: str) -> tuple[Interface, ...]:
    result = []
    for link in topology.links_of(node):
        end, far = (link.a, link.b) if link.a.node == node else (link.b, link.a)
        result.append(
            Interface(
                name=end.interface,
                role=InterfaceRole.CORE if link.kind is LinkKind.CORE else InterfaceRole.ACCESS,
                peer=far.node,
                peer_interface=far.interface,
                address=str(end.address),
                link=link.name,
            )
        )
    return tuple(sorted(result, key=lambda i: i.name))


def build_inventory(
    topology: Topology, *, routers: tuple[RouterFacts, ...], lab: LabPaths
) -> Inventory:
    """The inventory of a lab (pure: no file is touched)."""
    devices = {
        r.name: Device(
            name=r.name,
            platform=PLATFORM,
            namespace=r.namespace,
            netconf=NetconfTarget(
                host=LOCALHOST,
                port=r.netconf_port,
                username=NETCONF_USER,
                credential=NETCONF_CREDENTIAL,
            ),
            snmp=SnmpTarget(
                host=LOCALHOST,
                port=r.snmp_port,
                community_ref=SNMP_COMMUNITY_REF,
                v3_user=SNMP_V3_USER,
                v3_credential=SNMP_V3_CREDENTIAL,
            ),
            interfaces=_interfaces(topology, r.name),
        )
        for r in routers
    }
    hosts = {
        h.name: Host(
            name=h.name,
            namespace=namespace(topology.name, h.name),
            interfaces=_interfaces(topology, h.name),
        )
        for h in topology.hosts
    }
    return Inventory(
        devices=devices,
        hosts=hosts,
        lab=topology.name,
        known_hosts=lab.known_hosts,
        secrets_path=lab.secrets,
    )


def lab_secrets(lab: LabPaths, snmp: SnmpSecrets) -> dict[str, Secret]:
    return {
        NETCONF_CREDENTIAL: SshKeySecret(private_key_file=lab.client_key),
        SNMP_COMMUNITY_REF: CommunitySecret(community=snmp.community),
        SNMP_V3_CREDENTIAL: UsmSecret(
            auth_protocol=UsmAuthProtocol.SHA,
            auth_key=snmp.auth_key,
            priv_protocol=UsmPrivProtocol.AES,
            priv_key=snmp.priv_key,
        ),
    }


def ssh_config_text(lab: LabPaths) -> str:
    """An OpenSSH client configuration naming the lab's known_hosts file.

    ncclient reads ``UserKnownHostsFile`` from the file given as ``ssh_config``:
    that is how a client verifies the lab's host keys without touching
    ``~/.ssh/known_hosts``.
    """
    return f"Host *\n    UserKnownHostsFile {lab.known_hosts}\n    StrictHostKeyChecking yes\n"


def write_all(
    inventory: Inventory, *, lab: LabPaths, snmp: SnmpSecrets, known_hosts: list[str]
) -> None:
    """Write inventory.yaml, known_hosts, ssh_config and secrets.yaml (0600)."""
    write_secrets(lab.secrets, lab_secrets(lab, snmp))
    lab.known_hosts.write_text("".join(f"{line}\n" for line in known_hosts))
    lab.ssh_config.write_text(ssh_config_text(lab))
    doc = inventory_to_dict(inventory, base=lab.dir.resolve())
    lab.inventory.write_text(yaml.safe_dump(doc, sort_keys=False))
