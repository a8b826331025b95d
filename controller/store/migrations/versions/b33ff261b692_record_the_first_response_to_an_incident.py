"""record the first response to an incident

The trouble ticket response time (netsla-sla ticket-response-minutes) runs
from an incident's opening to the operator's first response.

Revision ID: b33ff261b692
Revises: 330e74c987b9
Create Date: 2026-11-27 10:36:35.280713
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b33ff261b692"
down_revision = "330e74c987b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("netsla_sla_incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responded_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("netsla_sla_incident", schema=None) as batch_op:
        batch_op.drop_column("responded_us")
