"""annual grading: the meeting's grade decisions at Q4 and the 党委's approval

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00

`grade_decision` holds what the year's last meeting decided differently from the engine's
proposal (or, for a scheme without grades, every grade): one row per member, with the reason.
It belongs to the fourth quarter and is refused once that quarter is locked, as the other
quarter tables are. `grade_approval` is the 党委's 批复 of the year's grades, recorded after the
Q4 lock: date, text, any member whose grade the 党委 decided differently, and its own digest
chained on the Q4 lock's. It is append-only.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LOCKED = "jifen: quarter is locked"
APPEND_ONLY = "jifen: append-only"


def upgrade() -> None:
    op.create_table(
        "grade_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["quarter_id"], ["quarter.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("quarter_id", "member_id"),
    )
    op.create_index("ix_grade_decision_quarter_id", "grade_decision", ["quarter_id"])
    op.create_table(
        "grade_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("previous_digest", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for op_, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            op.execute(f"CREATE TRIGGER grade_decision_locked_{op_.lower()} BEFORE {op_} ON grade_decision "
                       f"WHEN (SELECT state FROM quarter WHERE id = {row}.quarter_id) = 'locked' "
                       f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        op.execute("CREATE TRIGGER grade_decision_locked_move BEFORE UPDATE ON grade_decision "
                   "WHEN (SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked' "
                   f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        for op_ in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER grade_approval_append_only_{op_.lower()} BEFORE {op_} ON grade_approval "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        return
    op.execute("CREATE TRIGGER grade_decision_locked BEFORE INSERT OR UPDATE OR DELETE ON grade_decision "
               "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()")
    op.execute("CREATE TRIGGER grade_approval_append_only BEFORE UPDATE OR DELETE ON grade_approval "
               "FOR EACH ROW EXECUTE FUNCTION jifen_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete", "move"):
            op.execute(f"DROP TRIGGER IF EXISTS grade_decision_locked_{name}")
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS grade_approval_append_only_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS grade_decision_locked ON grade_decision")
        op.execute("DROP TRIGGER IF EXISTS grade_approval_append_only ON grade_approval")
    op.drop_table("grade_approval")
    op.drop_index("ix_grade_decision_quarter_id", table_name="grade_decision")
    op.drop_table("grade_decision")
