"""appeals (申诉) and the corrections (更正) an upheld answer makes after a lock

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

`appeal` holds a member's appeal about a quarter's figures, numbered per branch, with the dates
the branch's answer and a 复议 are due and how each was decided. `amendment` holds what an upheld
answer changed: a link of a chain that starts at the quarter's lock digest, never edited; the
database refuses its update or deletion, as it does the locks' and the audit log's. Neither table
is refused for a locked quarter: an appeal exists precisely because the quarter is locked.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

APPEND_ONLY = "jifen: append-only"


def upgrade() -> None:
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("quarter_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("review_text", sa.Text(), nullable=False),
        sa.Column("review_due_on", sa.Date(), nullable=True),
        sa.Column("review_answered_on", sa.Date(), nullable=True),
        sa.Column("review_upheld", sa.Boolean(), nullable=True),
        sa.Column("review_answer_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"]),
        sa.ForeignKeyConstraint(["quarter_id"], ["quarter.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("branch_id", "number"),
    )
    op.create_index("ix_appeal_quarter_id", "appeal", ["quarter_id"])
    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("quarter_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("previous_digest", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeal.id"]),
        sa.ForeignKeyConstraint(["quarter_id"], ["quarter.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_amendment_appeal_id", "amendment", ["appeal_id"])
    op.create_index("ix_amendment_quarter_id", "amendment", ["quarter_id"])
    if op.get_bind().dialect.name == "sqlite":
        for op_ in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER amendment_append_only_{op_.lower()} BEFORE {op_} ON amendment "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    else:  # jifen_append_only() is revision 0001's
        op.execute("CREATE TRIGGER amendment_append_only BEFORE UPDATE OR DELETE ON amendment "
                   "FOR EACH ROW EXECUTE FUNCTION jifen_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS amendment_append_only_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS amendment_append_only ON amendment")
    op.drop_index("ix_amendment_quarter_id", table_name="amendment")
    op.drop_index("ix_amendment_appeal_id", table_name="amendment")
    op.drop_table("amendment")
    op.drop_index("ix_appeal_quarter_id", table_name="appeal")
    op.drop_table("appeal")
