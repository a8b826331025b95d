"""initial schema

Revision ID: ef3b9909860f
Revises:
Create Date: 2026-11-26 14:27:30.805735
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ef3b9909860f"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "netsla_allocation",
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=400), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool", "scope", "owner"),
        sa.UniqueConstraint("pool", "scope", "value", name="uq_netsla_allocation"),
    )
    op.create_table(
        "netsla_allocation_holder",
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=400), nullable=False),
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pool", "scope", "owner", "service_id"),
    )
    with op.batch_alter_table("netsla_allocation_holder", schema=None) as batch_op:
        batch_op.create_index("ix_netsla_allocation_holder_service", ["service_id"], unique=False)

    op.create_table(
        "netsla_api_token",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("token_id"),
    )
    with op.batch_alter_table("netsla_api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_netsla_api_token_customer"), ["customer"], unique=False
        )

    op.create_table(
        "netsla_availability_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("interface", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("netsla_availability_event", schema=None) as batch_op:
        batch_op.create_index("ix_netsla_availability_open", ["device", "ended_us"], unique=False)

    op.create_table(
        "netsla_collector_status",
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("group", sa.String(length=32), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("samples", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt_us", sa.BigInteger(), nullable=True),
        sa.Column("last_success_us", sa.BigInteger(), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("device", "group"),
    )
    op.create_table(
        "netsla_device",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("busy_transaction", sa.BigInteger(), nullable=True),
        sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "netsla_device_node",
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("node", sa.String(length=400), nullable=False),
        sa.Column("leaves", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("device", "node"),
    )
    op.create_table(
        "netsla_footprint",
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("node", sa.String(length=400), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("leaves", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("device", "node", "owner"),
    )
    with op.batch_alter_table("netsla_footprint", schema=None) as batch_op:
        batch_op.create_index("ix_netsla_footprint_owner", ["owner", "device"], unique=False)

    op.create_table(
        "netsla_footprint_share",
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("node", sa.String(length=400), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("leaves", sa.Text(), nullable=False),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device", "node", "digest"),
    )
    op.create_table(
        "netsla_service",
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("devices", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "netsla_sla_alarm",
        sa.Column("resource", sa.String(length=400), nullable=False),
        sa.Column("alarm_type_id", sa.String(length=64), nullable=False),
        sa.Column("qualifier", sa.String(length=64), nullable=False),
        sa.Column("time_created_us", sa.BigInteger(), nullable=False),
        sa.Column("is_cleared", sa.Boolean(), nullable=False),
        sa.Column("last_raised_us", sa.BigInteger(), nullable=False),
        sa.Column("last_changed_us", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource", "alarm_type_id", "qualifier"),
    )
    op.create_table(
        "netsla_sla_alarm_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("resource", sa.String(length=400), nullable=False),
        sa.Column("alarm_type_id", sa.String(length=64), nullable=False),
        sa.Column("qualifier", sa.String(length=64), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("netsla_sla_alarm_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_netsla_sla_alarm_change_resource"), ["resource"], unique=False
        )

    op.create_table(
        "netsla_sla_binding",
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("accesses", sa.Text(), nullable=False),
        sa.Column("since_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "netsla_sla_incident",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("opened_us", sa.BigInteger(), nullable=False),
        sa.Column("cleared_us", sa.BigInteger(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", "event_id"),
    )
    with op.batch_alter_table("netsla_sla_incident", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_netsla_sla_incident_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "netsla_sla_order",
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("ordered_us", sa.BigInteger(), nullable=False),
        sa.Column("delivered_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "netsla_sla_result",
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("end_us", sa.BigInteger(), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("compliant", sa.Boolean(), nullable=False),
        sa.Column("credit_percent", sa.String(length=32), nullable=False),
        sa.Column("health_score", sa.Integer(), nullable=False),
        sa.Column("evaluated_us", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "window", "start_us"),
    )
    with op.batch_alter_table("netsla_sla_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_netsla_sla_result_customer"), ["customer"], unique=False
        )

    op.create_table(
        "netsla_sla_template",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "netsla_telemetry_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("object", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device", "source", "object", "metric"),
    )
    op.create_table(
        "netsla_transaction",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rollback_of", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "netsla_probe_packet",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("sent_us", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("delay_ms", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["series_id"], ["netsla_telemetry_series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "sent_us", "seq"),
    )
    op.create_table(
        "netsla_telemetry_rollup",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket_us", sa.BigInteger(), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("maximum", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["series_id"], ["netsla_telemetry_series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "bucket_us"),
    )
    op.create_table(
        "netsla_telemetry_sample",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["series_id"], ["netsla_telemetry_series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "at_us"),
    )
    op.create_table(
        "netsla_transaction_device",
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("forward", sa.Text(), nullable=False),
        sa.Column("reverse", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["transaction_id"], ["netsla_transaction.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("transaction_id", "device"),
    )
    op.create_table(
        "netsla_transaction_service",
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["transaction_id"], ["netsla_transaction.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("transaction_id", "service_id"),
    )


def downgrade() -> None:
    op.drop_table("netsla_transaction_service")
    op.drop_table("netsla_transaction_device")
    op.drop_table("netsla_telemetry_sample")
    op.drop_table("netsla_telemetry_rollup")
    op.drop_table("netsla_probe_packet")
    op.drop_table("netsla_transaction")
    op.drop_table("netsla_telemetry_series")
    op.drop_table("netsla_sla_template")
    with op.batch_alter_table("netsla_sla_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_netsla_sla_result_customer"))

    op.drop_table("netsla_sla_result")
    op.drop_table("netsla_sla_order")
    with op.batch_alter_table("netsla_sla_incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_netsla_sla_incident_service_id"))

    op.drop_table("netsla_sla_incident")
    op.drop_table("netsla_sla_binding")
    with op.batch_alter_table("netsla_sla_alarm_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_netsla_sla_alarm_change_resource"))

    op.drop_table("netsla_sla_alarm_change")
    op.drop_table("netsla_sla_alarm")
    op.drop_table("netsla_service")
    op.drop_table("netsla_footprint_share")
    with op.batch_alter_table("netsla_footprint", schema=None) as batch_op:
        batch_op.drop_index("ix_netsla_footprint_owner")

    op.drop_table("netsla_footprint")
    op.drop_table("netsla_device_node")
    op.drop_table("netsla_device")
    op.drop_table("netsla_collector_status")
    with op.batch_alter_table("netsla_availability_event", schema=None) as batch_op:
        batch_op.drop_index("ix_netsla_availability_open")

    op.drop_table("netsla_availability_event")
    with op.batch_alter_table("netsla_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_netsla_api_token_customer"))

    op.drop_table("netsla_api_token")
    with op.batch_alter_table("netsla_allocation_holder", schema=None) as batch_op:
        batch_op.drop_index("ix_netsla_allocation_holder_service")

    op.drop_table("netsla_allocation_holder")
    op.drop_table("netsla_allocation")
