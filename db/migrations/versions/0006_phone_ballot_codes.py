"""one-time codes for phone ballots; a round that is closed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00

`ballot_code` holds the codes handed out on slips for a round, as salted SHA-256 hashes only,
keyed by the hash (no rowid: the rows lie in hash order, not in the order the slips were
printed), with a spent flag and nothing else: no time, no link to the ballot a code brought in.
`ballot_count` gains the round's salt and whether the round is closed (no more ballots; its
counts may be shown). Both are refused for a locked quarter as the other quarter tables are.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LOCKED = "jifen: quarter is locked"


def upgrade() -> None:
    op.create_table(
        "ballot_code",
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("quarter_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["quarter_id"], ["quarter.id"]),
        sa.PrimaryKeyConstraint("hash"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ballot_code_quarter_id", "ballot_code", ["quarter_id"])
    op.add_column("ballot_count", sa.Column("salt", sa.String(), nullable=False, server_default=""))
    op.add_column("ballot_count", sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == "sqlite":
        for op_, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            op.execute(f"CREATE TRIGGER ballot_code_locked_{op_.lower()} BEFORE {op_} ON ballot_code "
                       f"WHEN (SELECT state FROM quarter WHERE id = {row}.quarter_id) = 'locked' "
                       f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        op.execute("CREATE TRIGGER ballot_code_locked_move BEFORE UPDATE ON ballot_code "
                   "WHEN (SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked' "
                   f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        return
    op.execute("CREATE TRIGGER ballot_code_locked BEFORE INSERT OR UPDATE OR DELETE ON ballot_code "
               "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete", "move"):
            op.execute(f"DROP TRIGGER IF EXISTS ballot_code_locked_{name}")
        op.execute("ALTER TABLE ballot_count DROP COLUMN closed")
        op.execute("ALTER TABLE ballot_count DROP COLUMN salt")
    else:
        op.execute("DROP TRIGGER IF EXISTS ballot_code_locked ON ballot_code")
        op.drop_column("ballot_count", "closed")
        op.drop_column("ballot_count", "salt")
    op.drop_index("ix_ballot_code_quarter_id", table_name="ballot_code")
    op.drop_table("ballot_code")
