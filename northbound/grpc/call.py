"""What every servicer method does around its work: authenticate, then map errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from controller.tokens import Principal
from northbound.grpc.auth import Authenticator
from northbound.grpc.errors import status_of

T = TypeVar("T")


async def fail(context: Any, exc: Exception) -> NoReturn:
    """End the call with the status of ``exc``; re-raise what is not a known error."""
    mapped = status_of(exc)
    if mapped is None:
        raise exc
    await context.abort(mapped.code, mapped.message, trailing_metadata=mapped.trailing_metadata())
    raise AssertionError("context.abort returned")  # it raises


async def unary(context: Any, auth: Authenticator, work: Callable[[Principal], Awaitable[T]]) -> T:
    """Run ``work`` for the principal of the call's token; errors become statuses."""
    try:
        principal = await auth.principal(context.invocation_metadata())
        return await work(principal)
    except Exception as exc:
        await fail(context, exc)
