"""Schema migrations of the store, run by netsla itself through Alembic.

The migration scripts live in ``controller/store/migrations/versions``;
``scripts/new-migration MESSAGE`` writes a new one from the difference
between the models and the migrated schema, and a test fails when the
models have changes no migration carries.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine

from controller.store import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for netsla's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def revise(engine: Engine, message: str) -> None:
    """Write a new migration script for what the models have and the schema lacks."""
    upgrade(engine)
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)


def pending_changes(engine: Engine) -> list[object]:
    """Differences between the models and the migrated schema (empty when in step)."""
    from controller.store import models  # noqa: F401

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
