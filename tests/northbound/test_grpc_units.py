"""Pure parts of the gRPC northbound: tokens, resource names, pages, cursors, TLS, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from controller.errors import InputError
from controller.execution import DeviceBusy
from controller.service import UnknownService
from controller.sla.events import AlarmChangeKind, BadCursor, Cursor, change_kind
from controller.tokens import InvalidToken, Principal, Role, check, mint, parse
from controller.transaction import DeviceResult, Outcome, Step, TransactionFailed
from northbound.grpc.auth import bearer, scope_of
from northbound.grpc.errors import (
    BadRequest,
    PermissionDenied,
    Unauthenticated,
    status_of,
)
from northbound.grpc.names import paginate, parse_parent, parse_service
from northbound.grpc.tls import make_ca, make_server_cert
from northbound.proto.netsla.v1 import netsla_pb2 as pb

NOW_US = 1_764_000_000_000_000


def test_a_minted_token_checks_against_its_record_only() -> None:
    issued = mint(role=Role.CUSTOMER, customer="acme", description="", now_us=NOW_US)
    token_id, secret = parse(issued.text)
    assert token_id == issued.record.token_id and secret not in repr(issued.record)
    principal = check(issued.record, secret)
    assert principal == Principal(token_id=token_id, role=Role.CUSTOMER, customer="acme")
    other = mint(role=Role.CUSTOMER, customer="acme", description="", now_us=NOW_US)
    with pytest.raises(InvalidToken):
        check(other.record, secret)  # same customer, other salt and digest
    with pytest.raises(InvalidToken):
        check(None, secret)


def test_a_secret_may_hold_the_separator() -> None:
    # URL-safe base64 uses "_": the id is the second field, the secret all the rest
    text = "nsla_feb51de958a57757_RTbvac_XaJczV1KSdj7a61lIP_ysL0onTOjvTyVch_s"
    assert parse(text) == ("feb51de958a57757", "RTbvac_XaJczV1KSdj7a61lIP_ysL0onTOjvTyVch_s")


def test_a_revoked_or_malformed_token_is_invalid() -> None:
    issued = mint(role=Role.OPERATOR, customer=None, description="", now_us=NOW_US)
    _, secret = parse(issued.text)
    from dataclasses import replace

    with pytest.raises(InvalidToken):
        check(replace(issued.record, revoked_us=NOW_US), secret)
    for text in ("", "nsla_xyz_abc", issued.text + "A", issued.text.replace("nsla", "nslb")):
        with pytest.raises(InvalidToken):
            parse(text)


def test_token_roles_need_the_right_customer() -> None:
    with pytest.raises(InputError):
        mint(role=Role.CUSTOMER, customer=None, description="", now_us=NOW_US)
    with pytest.raises(InputError):
        mint(role=Role.OPERATOR, customer="acme", description="", now_us=NOW_US)


def test_bearer_metadata() -> None:
    assert bearer([("authorization", "Bearer abc")]) == "abc"
    assert bearer([("Authorization", "bearer  abc ")]) == "abc"
    for metadata in ([], [("authorization", "Basic abc")], [("authorization", "Bearer ")],
                     [("authorization", "Bearer a"), ("authorization", "Bearer b")]):  # fmt: skip
        with pytest.raises(Unauthenticated):
            bearer(metadata)


def test_scope_of_a_principal() -> None:
    acme = Principal(token_id="1", role=Role.CUSTOMER, customer="acme")
    operator = Principal(token_id="2", role=Role.OPERATOR)
    assert scope_of(acme, None) == "acme" and scope_of(acme, "acme") == "acme"
    assert scope_of(operator, None) is None and scope_of(operator, "globex") == "globex"
    with pytest.raises(PermissionDenied):
        scope_of(acme, "globex")


def test_resource_names() -> None:
    assert parse_parent("customers/-") is None and parse_parent("") is None
    assert parse_parent("customers/acme") == "acme"
    assert parse_service("services/acme-corp") == "acme-corp"
    assert parse_service("services/acme-corp/slaStatus", sla_status=True) == "acme-corp"
    for bad in ("services/acme-corp/slaStatus", "services/-", "services/", "vpn/x"):
        with pytest.raises(BadRequest):
            parse_service(bad)
    for bad in ("customers", "customers/a/b", "tenants/a"):
        with pytest.raises(BadRequest):
            parse_parent(bad)


def test_pages_follow_the_keys_and_end() -> None:
    items = [f"s{i:02d}" for i in range(7)]
    seen, token = [], ""
    while True:
        page = paginate(items, key=str, size=3, token=token)
        seen.extend(page.items)
        token = page.next_token
        if not token:
            break
    assert seen == items
    assert paginate(items, key=str, size=0, token="").items == items  # default size
    with pytest.raises(BadRequest):
        paginate(items, key=str, size=-1, token="")


def test_alarm_change_kinds() -> None:
    assert change_kind("minor", None) is AlarmChangeKind.RAISED
    assert change_kind("minor", "cleared") is AlarmChangeKind.RAISED
    assert change_kind("major", "minor") is AlarmChangeKind.CHANGED
    assert change_kind("cleared", "major") is AlarmChangeKind.CLEARED


def test_cursor_round_trip_and_garbage() -> None:
    cursor = Cursor(change_id=7, evaluated_us=NOW_US, service_id="acme-corp", window="period")
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("", "!!", "bm90IGpzb24", Cursor(change_id=1).encode()[:-3]):
        with pytest.raises(BadCursor):
            Cursor.decode(bad)


def test_server_certificate_is_signed_by_the_ca_for_localhost() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    ca_key, ca = make_ca(now=now)
    _, cert = make_server_cert(ca_key, ca, now=now)
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_errors_map_to_status_codes() -> None:
    failed = TransactionFailed(
        [
            DeviceResult(
                device="pe2",
                outcome=Outcome.ROLLED_BACK,
                error="lock denied",
                failed_step=Step.LOCK,
            )
        ]
    )
    cases = {
        UnknownService("no service 'x'"): grpc.StatusCode.NOT_FOUND,
        DeviceBusy("pe1 is busy"): grpc.StatusCode.ABORTED,
        InputError("bad"): grpc.StatusCode.INVALID_ARGUMENT,
        PermissionDenied("no"): grpc.StatusCode.PERMISSION_DENIED,
        failed: grpc.StatusCode.ABORTED,
    }
    for exc, code in cases.items():
        mapped = status_of(exc)
        assert mapped is not None and mapped.code == code, exc
    assert status_of(RuntimeError("a bug")) is None
    mapped = status_of(failed)
    assert mapped is not None
    from google.rpc import status_pb2

    status = status_pb2.Status.FromString(
        dict(mapped.trailing_metadata())["grpc-status-details-bin"]
    )
    failures = pb.DeviceFailures()
    assert status.details[0].Unpack(failures)
    assert [(f.device, f.error) for f in failures.failures] == [("pe2", "lock denied")]
