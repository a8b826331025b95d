"""A minimal SNMPv2c liveness probe: GET sysUpTime.0 and wait for any response.

Building one GetRequest by hand (BER, X.690) keeps ``netsla lab status`` and
``up`` free of the SNMP engine's start-up cost; the controller uses pysnmp.
"""

from __future__ import annotations

import secrets
import socket

SNMP_V2C = 1  # RFC 3416 / RFC 1901: version field value for SNMPv2c
GET_REQUEST = 0xA0
SYS_UPTIME_0 = (1, 3, 6, 1, 2, 1, 1, 3, 0)


def _tlv(tag: int, body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return _tlv(0x02, value.to_bytes(size, "big", signed=True))


def _oid(arcs: tuple[int, ...]) -> bytes:
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk, rest = [arc & 0x7F], arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


def get_request(*, community: str, request_id: int, oid: tuple[int, ...] = SYS_UPTIME_0) -> bytes:
    """An SNMPv2c GetRequest-PDU (RFC 3416, section 4.2.1) for one OID."""
    varbind = _tlv(0x30, _oid(oid) + b"\x05\x00")
    pdu = _tlv(
        GET_REQUEST,
        _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbind),
    )
    return _tlv(0x30, _integer(SNMP_V2C) + _tlv(0x04, community.encode()) + pdu)


def answers(*, host: str, port: int, community: str, timeout: float = 1.0) -> bool:
    """Whether an SNMP agent at ``host:port`` answers a v2c GET with ``community``."""
    request_id = secrets.randbelow(2**31 - 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(get_request(community=community, request_id=request_id), (host, port))
            reply = sock.recv(4096)
        except OSError:
            return False
    return _integer(request_id) in reply
