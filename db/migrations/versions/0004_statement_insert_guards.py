"""PostgreSQL: one insert guard per statement, not per row, on the tables written in bulk

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00

An import copies up to 200,000 entries with one INSERT ... SELECT, and each ballot rewrites its
quarter's ballots; the row-level guard of revision 0001 ran a PL/pgSQL call and a quarter
look-up per row inside the write lock (most of a 100k-row import's 5 s there). The insert guard
becomes one statement-level check over the inserted rows (a transition table); updates and
deletes keep the row-level guard. SQLite has no statement-level triggers and its per-row guard
is cheap: nothing changes there.
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LOCKED = "jifen: quarter is locked"
BULK_TABLES = ("entry", "ballot")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""CREATE FUNCTION jifen_refuse_locked_inserts() RETURNS trigger AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted i JOIN quarter q ON q.id = i.quarter_id
                       WHERE q.state = 'locked') THEN
                RAISE EXCEPTION '{LOCKED}';
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    for t in BULK_TABLES:
        op.execute(f"DROP TRIGGER {t}_locked ON {t}")
        op.execute(f"CREATE TRIGGER {t}_locked BEFORE UPDATE OR DELETE ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()")
        op.execute(f"CREATE TRIGGER {t}_locked_insert AFTER INSERT ON {t} REFERENCING NEW TABLE AS inserted "
                   "FOR EACH STATEMENT EXECUTE FUNCTION jifen_refuse_locked_inserts()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for t in BULK_TABLES:
        op.execute(f"DROP TRIGGER {t}_locked_insert ON {t}")
        op.execute(f"DROP TRIGGER {t}_locked ON {t}")
        op.execute(f"CREATE TRIGGER {t}_locked BEFORE INSERT OR UPDATE OR DELETE ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()")
    op.execute("DROP FUNCTION jifen_refuse_locked_inserts()")
