"""first schema, with the guards that keep a locked quarter, the locks and the audit log unchanged

Revision ID: 0001
Revises:
Create Date: 2026-11-21 09:31:43.195185
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('branch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('birth_month', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('post', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status_since', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('exempt_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('meeting_exempt', sa.Boolean(), nullable=False),
    sa.Column('suspended_from', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('suspended_until', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('left', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('branch_id', 'name', 'birth_month')
    )
    op.create_table('quarter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('branch_id', 'year', 'number')
    )
    op.create_table('scheme_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('scheme_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('branch_id', 'year')
    )
    op.create_table('ballot',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('marks', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_quarter_id'), ['quarter_id'], unique=False)

    op.create_table('ballot_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id', 'round')
    )
    op.create_table('entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('item_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('points', sa.String(length=32), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_quarter_id'), ['quarter_id'], unique=False)

    op.create_table('lock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('previous_digest', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id')
    )
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('observers', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agenda', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id')
    )
    op.create_table('past_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('total', sa.String(length=32), nullable=True),
    sa.Column('bottom', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'year')
    )
    op.create_table('quarter_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id', 'member_id')
    )
    with op.batch_alter_table('quarter_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarter_member_quarter_id'), ['quarter_id'], unique=False)

    op.create_table('roll_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opinion', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id', 'member_id')
    )
    with op.batch_alter_table('roll_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roll_call_quarter_id'), ['quarter_id'], unique=False)

    op.create_table('tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rating', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('quarter_id', 'round', 'member_id', 'rating')
    )
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tally_quarter_id'), ['quarter_id'], unique=False)

    op.create_table('undo_slot',
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('quarter_id')
    )
    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('yes', sa.Integer(), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('abstain', sa.Integer(), nullable=False),
    sa.Column('written_yes', sa.Integer(), nullable=False),
    sa.Column('written_no', sa.Integer(), nullable=False),
    sa.Column('written_abstain', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], ),
    sa.ForeignKeyConstraint(['quarter_id'], ['quarter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id')
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_quarter_id'), ['quarter_id'], unique=False)


    create_guards()


# Tables whose rows belong to one quarter: nothing of a locked quarter may change.
QUARTER_TABLES = ("entry", "meeting", "roll_call", "vote", "ballot", "tally", "ballot_count",
                  "quarter_member", "undo_slot")
LOCKED = "jifen: quarter is locked"
APPEND_ONLY = "jifen: append-only"


def _sqlite_guards() -> list[str]:
    out = []
    for t in QUARTER_TABLES:
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
    for op_ in ("UPDATE", "DELETE"):
        out.append(f"CREATE TRIGGER quarter_locked_{op_.lower()} BEFORE {op_} ON quarter "
                   f"WHEN OLD.state = 'locked' BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")
        for t in ("lock", "audit_log"):
            out.append(f"CREATE TRIGGER {t}_append_only_{op_.lower()} BEFORE {op_} ON \"{t}\" "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    return out


def _postgresql_guards() -> list[str]:
    out = [
        f"""CREATE FUNCTION jifen_refuse_locked() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND (SELECT state FROM quarter WHERE id = OLD.quarter_id) = 'locked' THEN
                RAISE EXCEPTION '{LOCKED}';
            END IF;
            IF TG_OP <> 'DELETE' AND (SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked' THEN
                RAISE EXCEPTION '{LOCKED}';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE FUNCTION jifen_refuse_locked_quarter() RETURNS trigger AS $$
        BEGIN
            IF OLD.state = 'locked' THEN RAISE EXCEPTION '{LOCKED}'; END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE FUNCTION jifen_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql""",
    ]
    for t in QUARTER_TABLES:
        out.append(f"CREATE TRIGGER {t}_locked BEFORE INSERT OR UPDATE OR DELETE ON {t} "
                   "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked()")
    out.append("CREATE TRIGGER quarter_locked BEFORE UPDATE OR DELETE ON quarter "
               "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked_quarter()")
    for t in ("lock", "audit_log"):
        out.append(f'CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON "{t}" '
                   "FOR EACH ROW EXECUTE FUNCTION jifen_append_only()")
    return out


def create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _sqlite_guards() if dialect == "sqlite" else _postgresql_guards():
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_quarter_id'))

    op.drop_table('vote')
    op.drop_table('undo_slot')
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tally_quarter_id'))

    op.drop_table('tally')
    with op.batch_alter_table('roll_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roll_call_quarter_id'))

    op.drop_table('roll_call')
    with op.batch_alter_table('quarter_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarter_member_quarter_id'))

    op.drop_table('quarter_member')
    op.drop_table('past_result')
    op.drop_table('meeting')
    op.drop_table('lock')
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_quarter_id'))
        batch_op.drop_index(batch_op.f('ix_entry_member_id'))

    op.drop_table('entry')
    op.drop_table('ballot_count')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_quarter_id'))

    op.drop_table('ballot')
    op.drop_table('scheme_year')
    op.drop_table('quarter')
    op.drop_table('member')
    op.drop_table('branch')
    op.drop_table('audit_log')
