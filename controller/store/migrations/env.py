"""Alembic environment for netsla's store.

netsla runs migrations itself (:func:`controller.store.open_store`); the
connection comes in through ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from controller.store import Base
from controller.store import models as _models  # noqa: F401  (registers every table)

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    raise RuntimeError("netsla migrations run through controller.store.open_store")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
