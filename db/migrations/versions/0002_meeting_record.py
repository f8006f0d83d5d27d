"""the record the minute needs: objections, agenda notes, vote method, end time, void ballots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 19:40:00

The new quarter tables get the same guards as the first schema's: nothing of a locked
quarter may be inserted, changed or deleted (SQLite triggers, PostgreSQL trigger functions).
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

NEW_QUARTER_TABLES = ("objection", "agenda_note")
LOCKED = "jifen: quarter is locked"


def upgrade() -> None:
    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('raised_by', AutoString(), nullable=False),
    sa.Column('reason', AutoString(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_quarter_id'), ['quarter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_entry_id'), ['entry_id'], unique=False)

    op.create_table('agenda_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.Integer(), nullable=False),
    sa.Column('kind', AutoString(), nullable=False),
    sa.Column('speaker', AutoString(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agenda_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_note_quarter_id'), ['quarter_id'], unique=False)

    # Plain ADD COLUMN (no batch copy): the old tables' guard triggers stay as they are, and a
    # locked quarter's rows are not rewritten. Existing rows take the defaults: votes were
    # taken by show of hands, ballots were valid, and the old meetings have no recorded end.
    op.add_column('vote', sa.Column('method', AutoString(), nullable=False,
                                    server_default='举手'))
    op.add_column('ballot', sa.Column('void', AutoString(), nullable=False,
                                      server_default=''))
    op.add_column('meeting', sa.Column('ended_at', sa.DateTime(), nullable=True))

    dialect = op.get_bind().dialect.name
    for statement in _sqlite_guards() if dialect == "sqlite" else _postgresql_guards():
        op.execute(statement)


def _sqlite_guards() -> list[str]:
    out = []
    for t in NEW_QUARTER_TABLES:
        for op_, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            out.append(
                f"CREATE TRIGGER {t}_locked_{op_.lower()} BEFORE {op_} ON {t} "
                f"WHEN (SELECT state FROM quarter WHERE id = {row}.quarter_id) = 'locked' "
                f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
            )
        out.append(
            f"CREATE TRIGGER {t}_locked_move BEFORE UPDATE ON {t} "
            f"WHEN (SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked' "
            f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END"
        )
    return out


def _postgresql_guards() -> list[str]:
    # jifen_refuse_locked() comes from revision 0001.
    return [f"CREATE TRIGGER {t}_locked BEFORE INSERT OR UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()" for t in NEW_QUARTER_TABLES]


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for t in NEW_QUARTER_TABLES:
        if dialect == "sqlite":
            for suffix in ("insert", "update", "delete", "move"):
                op.execute(f"DROP TRIGGER IF EXISTS {t}_locked_{suffix}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_locked ON {t}")
    op.drop_column('meeting', 'ended_at')
    op.drop_column('ballot', 'void')
    op.drop_column('vote', 'method')
    op.drop_table('agenda_note')
    op.drop_table('objection')
