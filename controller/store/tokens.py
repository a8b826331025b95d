"""The table of API tokens (``netsla_api_token``): who may call the northbound API.

A token is never stored: only its public id, a per-token random salt and
the SHA-256 digest of salt and secret (:mod:`controller.tokens`).  Each
token has a role, operator or customer, and a customer's token names its
customer.  Times are integer microseconds since the epoch.
:class:`TokenRepository` works inside one session (the caller's unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from controller.store import Base

_NAME = 200


class ApiTokenRow(Base):
    __tablename__ = "netsla_api_token"
    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public part
    role: Mapped[str] = mapped_column(String(16))  # operator | customer
    customer: Mapped[str | None] = mapped_column(String(_NAME), nullable=True, index=True)
    salt: Mapped[str] = mapped_column(String(64))  # hex
    digest: Mapped[str] = mapped_column(String(128))  # hex SHA-256 of salt + secret
    description: Mapped[str] = mapped_column(String(_NAME), default="")
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRecord:
    token_id: str
    role: str
    customer: str | None
    salt: str
    digest: str
    description: str
    created_us: int
    revoked_us: int | None


def _record(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(
        token_id=row.token_id,
        role=row.role,
        customer=row.customer,
        salt=row.salt,
        digest=row.digest,
        description=row.description,
        created_us=row.created_us,
        revoked_us=row.revoked_us,
    )


class TokenRepository:
    """Reads and writes API tokens inside one session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: TokenRecord) -> None:
        self.session.add(
            ApiTokenRow(
                token_id=record.token_id,
                role=record.role,
                customer=record.customer,
                salt=record.salt,
                digest=record.digest,
                description=record.description,
                created_us=record.created_us,
                revoked_us=record.revoked_us,
            )
        )

    def get(self, token_id: str) -> TokenRecord | None:
        row = self.session.get(ApiTokenRow, token_id)
        return None if row is None else _record(row)

    def tokens(self) -> list[TokenRecord]:
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_us, ApiTokenRow.token_id)
        return [_record(row) for row in self.session.scalars(query).all()]

    def revoke(self, token_id: str, *, at_us: int) -> TokenRecord | None:
        """Mark a token revoked (the first revocation time is kept); None if unknown."""
        row = self.session.get(ApiTokenRow, token_id)
        if row is None:
            return None
        if row.revoked_us is None:
            row.revoked_us = at_us
        return _record(row)

    def live_ids(self, token_ids: Iterable[str]) -> set[str]:
        """Those of ``token_ids`` that are stored and not revoked."""
        wanted = sorted(set(token_ids))
        query = select(ApiTokenRow.token_id).where(
            ApiTokenRow.token_id.in_(wanted), ApiTokenRow.revoked_us.is_(None)
        )
        return set(self.session.scalars(query).all()) if wanted else set()
