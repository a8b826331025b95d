"""Bearer tokens in call metadata (RFC 6750 section 2.1 over gRPC) and who may see what.

Every call carries ``authorization: Bearer <token>``.  The token is checked
against the stored digests (:mod:`controller.tokens`) off the event loop's
thread; neither the token nor the reason it failed is told to the caller or
logged (the caller learns UNAUTHENTICATED, nothing more).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from controller.tokens import InvalidToken, Principal, Tokens
from northbound.grpc.errors import PermissionDenied, Unauthenticated

AUTHORIZATION = "authorization"
_SCHEME = "bearer"


def bearer(metadata: Iterable[tuple[str, Any]] | None) -> str:
    """The token of the ``authorization`` entry; :class:`Unauthenticated` without one."""
    values = [v for k, v in metadata or () if k.lower() == AUTHORIZATION]
    if len(values) != 1 or not isinstance(values[0], str):
        raise Unauthenticated("send one 'authorization: Bearer <token>' metadata entry")
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != _SCHEME or not token.strip():
        raise Unauthenticated("the authorization metadata is not 'Bearer <token>'")
    return token.strip()


class Authenticator:
    """Turns a call's metadata into the :class:`Principal` of its token."""

    def __init__(self, tokens: Tokens) -> None:
        self._tokens = tokens

    async def principal(self, metadata: Iterable[tuple[str, Any]] | None) -> Principal:
        token = bearer(metadata)
        try:
            return await asyncio.to_thread(self._tokens.authenticate, token)
        except InvalidToken:
            raise Unauthenticated("invalid, unknown or revoked token") from None


def scope_of(principal: Principal, customer: str | None) -> str | None:
    """The customer a list is limited to: ``customer`` (None: all) as far as ``principal`` sees.

    A customer's token listing ``customers/-`` sees its own customer only;
    naming another customer is refused.
    """
    if customer is None:
        return principal.scope
    if not principal.sees(customer):
        raise PermissionDenied(f"this token does not see customer {customer!r}")
    return customer
