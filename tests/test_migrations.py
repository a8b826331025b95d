"""The store's schema comes from Alembic migrations, and they keep up with the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from controller.store import Base, StoreError, open_store
from controller.store import models as _models  # noqa: F401  (registers every table)
from controller.store.migrate import pending_changes, upgrade
from tests.stores import DATABASES, database_url


@pytest.mark.parametrize("kind", DATABASES)
def test_migrations_build_exactly_the_models_schema(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            upgrade(engine)
            # A model change without its migration shows up here: run
            # scripts/new-migration "what changed" and commit the script.
            assert pending_changes(engine) == []
            tables = set(inspect(engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            assert "alembic_version" in tables
            upgrade(engine)  # idempotent
        finally:
            engine.dispose()


def test_opening_a_store_migrates_it(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'netsla.db'}")
    try:
        assert pending_changes(store.engine) == []
    finally:
        store.close()


def test_a_store_that_cannot_be_opened_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'netsla.db'}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", DATABASES)
def test_upgrading_hides_the_database_passwords_journaled_before(kind: str, tmp_path: Path) -> None:
    journaled = {
        1: "netsla service apply a.json --database postgresql+psycopg://netsla:s3cret@db:5432/n",
        2: "netsla service apply a.json '--database=postgresql://ops:p%40ss@db/n' --dry-run",
        3: "netsla service delete acme --database sqlite:////var/lib/netsla.db",
        4: "grpc netsla.v1.ServiceManagement/ApplyServices token=0123456789abcdef",
    }
    with database_url(kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            upgrade(engine, "ef3b9909860f")  # the schema before commands were recorded hidden
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO netsla_transaction (id, started_at, started_by, command, "
                        "state) VALUES (:id, CURRENT_TIMESTAMP, 'root@host:1', :command, "
                        "'committed')"
                    ),
                    [{"id": i, "command": c} for i, c in journaled.items()],
                )
            upgrade(engine)
            with engine.connect() as connection:
                rows = dict(
                    connection.execute(text("SELECT id, command FROM netsla_transaction")).all()
                )
        finally:
            engine.dispose()
    assert rows == {
        1: "netsla service apply a.json --database postgresql+psycopg://netsla:***@db:5432/n",
        2: "netsla service apply a.json '--database=postgresql://ops:***@db/n' --dry-run",
        3: journaled[3],
        4: journaled[4],
    }
