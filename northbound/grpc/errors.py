"""Errors of the gRPC northbound and their status codes (gRPC status codes, AIP-193).

The northbound's own errors (one root, :class:`NorthboundError`) say what
the API refuses; :func:`status_of` maps them and the controller's and
southbound's errors to a status code, a message and, where a caller needs
them one by one, google.rpc.Status details:

- validation problems -> INVALID_ARGUMENT with a ``ValidationProblems`` detail;
- any other bad input (``ValueError`` of a netsla package) -> INVALID_ARGUMENT;
- an unknown service -> NOT_FOUND (PERMISSION_DENIED for a customer, AIP-211:
  a customer cannot tell another customer's service from a missing one);
- a device busy with another transaction -> ABORTED (retry later);
- a failed transaction -> ABORTED with a ``DeviceFailures`` detail (every
  device was put back);
- a device or store that cannot be reached -> UNAVAILABLE;
- an event stream that fell behind -> ABORTED (resume from the last cursor);
- any other error of the controller -> FAILED_PRECONDITION.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import status_pb2

from controller.errors import ControllerError
from controller.execution import DeviceBusy
from controller.service import UnknownService
from controller.store import StoreError
from controller.transaction import TransactionFailed
from controller.validation import ValidationFailed
from northbound.proto.netsla.v1 import netsla_pb2 as pb
from southbound.errors import SouthboundError

DETAILS_KEY = "grpc-status-details-bin"  # google.rpc.Status, serialized (gRPC richer error model)


class NorthboundError(Exception):
    """Root of every error the gRPC northbound raises on purpose."""


class Unauthenticated(NorthboundError):
    """No bearer token, or one that is malformed, unknown or revoked."""


class PermissionDenied(NorthboundError):
    """The token's principal may not see or change this."""


class NotFound(NorthboundError):
    """No such resource (said to operators only)."""


class BadRequest(NorthboundError, ValueError):
    """A request field is malformed (a resource name, a page token, a cursor)."""


class Clash(NorthboundError, ValueError):
    """A change clashes with device configuration the caller does not see (told without it)."""


class FellBehind(NorthboundError):
    """An event stream did not keep up with the events; resume from the last cursor."""


@dataclass(frozen=True, slots=True)
class Mapped:
    code: grpc.StatusCode
    message: str
    details: Sequence[Message] = ()

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        """The google.rpc.Status of this error as trailing metadata (none without details)."""
        if not self.details:
            return ()
        packed = []
        for detail in self.details:
            entry = any_pb2.Any()
            entry.Pack(detail)
            packed.append(entry)
        status = status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)
        return ((DETAILS_KEY, status.SerializeToString()),)


def problems_detail(exc: ValidationFailed) -> pb.ValidationProblems:
    return pb.ValidationProblems(
        problems=[
            pb.ValidationProblem(
                code=str(p.code),
                path=p.path,
                message=p.message,
                document=p.file or "",
                line=p.line or 0,
            )
            for p in exc.problems
        ]
    )


def failures_detail(exc: TransactionFailed) -> pb.DeviceFailures:
    return pb.DeviceFailures(
        failures=[
            pb.DeviceFailure(
                device=r.device,
                outcome=r.outcome.value if r.outcome else "",
                failed_step=r.failed_step.value if r.failed_step else "",
                error=r.error or "",
            )
            for r in exc.results
        ]
    )


_SIMPLE: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (FellBehind, grpc.StatusCode.ABORTED),
    (UnknownService, grpc.StatusCode.NOT_FOUND),
    (DeviceBusy, grpc.StatusCode.ABORTED),
    (StoreError, grpc.StatusCode.UNAVAILABLE),
    (SouthboundError, grpc.StatusCode.UNAVAILABLE),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
)


def status_of(exc: Exception) -> Mapped | None:
    """The status of a known error; None for anything else (a bug: UNKNOWN, logged by gRPC)."""
    if isinstance(exc, ValidationFailed):
        return Mapped(grpc.StatusCode.INVALID_ARGUMENT, str(exc), (problems_detail(exc),))
    if isinstance(exc, TransactionFailed):
        return Mapped(grpc.StatusCode.ABORTED, str(exc), (failures_detail(exc),))
    if not isinstance(exc, NorthboundError | ControllerError | SouthboundError):
        return None
    for kind, code in _SIMPLE:
        if isinstance(exc, kind):
            return Mapped(code, str(exc))
    return Mapped(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
