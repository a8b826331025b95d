"""hide database passwords in journaled commands

The journal recorded command lines as typed, so a ``--database`` URL with a
password was stored in clear text; commands are now recorded with it shown
as ``***`` (northbound.cli.output.shown_command), and this rewrites the
rows journaled before.

Revision ID: 5d1e2c7a9b40
Revises: ef3b9909860f
Create Date: 2026-11-27 09:10:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "5d1e2c7a9b40"
down_revision = "ef3b9909860f"
branch_labels = None
depends_on = None

# scheme://user:password@host: the password, up to the "@" (a "@" inside a
# URL's password is written %40), becomes ***.
_PASSWORD = re.compile(r"(://[^:/@\s']*:)[^@\s']*@")


def upgrade() -> None:
    bind = op.get_bind()
    table = sa.table(
        "netsla_transaction", sa.column("id", sa.BigInteger), sa.column("command", sa.Text)
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.command).where(table.c.command.like("%://%"))
    ).all()
    for row_id, command in rows:
        hidden = _PASSWORD.sub(r"\1***@", command)
        if hidden != command:
            bind.execute(sa.update(table).where(table.c.id == row_id).values(command=hidden))


def downgrade() -> None:
    """Nothing to do: what was hidden cannot be put back."""
