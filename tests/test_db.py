"""Database: migrations build exactly the tables the models describe; SQLite runs in WAL mode."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

import app.migrations
from app.db import make_engine, migrate
from app.models import Base


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrating_twice_changes_nothing_and_sqlite_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == newest_migration()


def newest_migration() -> str:
    """The head of the migration chain, from the files: one head, whatever its number."""
    heads = ScriptDirectory(str(Path(app.migrations.__file__).parent)).get_heads()
    assert len(heads) == 1, f"the migrations must form one chain; heads: {heads}"
    return heads[0]
