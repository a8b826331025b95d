"""store customer tiers and customers

The store kept SLA templates only; a service document naming its customer
then validated only with the tiers and customers given again beside it.

Revision ID: 330e74c987b9
Revises: 5d1e2c7a9b40
Create Date: 2026-11-27 10:01:01.833868
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "330e74c987b9"
down_revision = "5d1e2c7a9b40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "netsla_sla_catalog_entry",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name"),
    )


def downgrade() -> None:
    op.drop_table("netsla_sla_catalog_entry")
