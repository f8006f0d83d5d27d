"""Alembic environment: the program passes its own connection (db.engine.migrate)."""

from alembic import context
from sqlmodel import SQLModel

import db.appeal_tables
import db.tables  # noqa: F401  (registers the tables on the metadata)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the `alembic` command line, used to write new migrations
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("alembic: give the database as sqlalchemy.url")
        connection = create_engine(url).connect()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
