"""Tables of services, footprints, device configs, pool allocations and the journal.

Accessed through :class:`ServiceRepository` and
:class:`controller.journal.Journal`, never by callers' own queries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from controller.store import Base

_NAME = 200
_NODE = 400


class ServiceRow(Base):
    """One service (a vpn-service with its accesses): its document as applied."""

    __tablename__ = "netsla_service"
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # RFC 7951 JSON of the service's slice
    devices: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of device names
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FootprintRow(Base):
    """One owner's contribution to one node of one device."""

    __tablename__ = "netsla_footprint"
    device: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    node: Mapped[str] = mapped_column(String(_NODE), primary_key=True)
    owner: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    leaves: Mapped[str] = mapped_column(Text)  # JSON
    __table_args__ = (Index("ix_netsla_footprint_owner", "owner", "device"),)


class FootprintShareRow(Base):
    """Owners of one node of one device that contribute the same leaves, counted.

    Kept in step with :class:`FootprintRow`, so that planning reads one row
    per distinct contribution of a node, not one per service holding it.
    """

    __tablename__ = "netsla_footprint_share"
    device: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    node: Mapped[str] = mapped_column(String(_NODE), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the leaves
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    leaves: Mapped[str] = mapped_column(Text)  # JSON
    holders: Mapped[int] = mapped_column(Integer)


class DeviceRow(Base):
    """What the controller expects a device's running config to be."""

    __tablename__ = "netsla_device"
    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    platform: Mapped[str] = mapped_column(String(_NAME))
    fingerprint: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    busy_transaction: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    busy_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DeviceNodeRow(Base):
    """One node of a device's expected running config."""

    __tablename__ = "netsla_device_node"
    device: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    node: Mapped[str] = mapped_column(String(_NODE), primary_key=True)
    leaves: Mapped[str] = mapped_column(Text)  # JSON


class AllocationRow(Base):
    """A value taken from a pool, for an owner key that stays stable on re-apply."""

    __tablename__ = "netsla_allocation"
    pool: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    owner: Mapped[str] = mapped_column(String(_NODE), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (UniqueConstraint("pool", "scope", "value", name="uq_netsla_allocation"),)


class AllocationHolderRow(Base):
    """A service holding an allocation; the value is released when none is left."""

    __tablename__ = "netsla_allocation_holder"
    pool: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    owner: Mapped[str] = mapped_column(String(_NODE), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    __table_args__ = (Index("ix_netsla_allocation_holder_service", "service_id"),)


class TransactionRow(Base):
    """One network-wide transaction of the journal."""

    __tablename__ = "netsla_transaction"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    started_by: Mapped[str] = mapped_column(String(_NAME))
    command: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    rollback_of: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class TransactionDeviceRow(Base):
    """One device's part of a transaction: forward and reverse edits, outcome."""

    __tablename__ = "netsla_transaction_device"
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("netsla_transaction.id", ondelete="CASCADE"), primary_key=True
    )
    device: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    forward: Mapped[str] = mapped_column(Text)  # JSON list of edits
    reverse: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class TransactionServiceRow(Base):
    """One service's documents before and after a transaction (None: absent)."""

    __tablename__ = "netsla_transaction_service"
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("netsla_transaction.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
