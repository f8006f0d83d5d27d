"""the branch's contact for its publicity notices (联系人, 联系电话)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00

Two columns on the branch, '' until the secretary gives them. Revision 0003 refuses any update
of the branch once a quarter is locked, since its name is on every locked minute and in every
digest; the contact is neither (a new secretary changes it after a lock), so the guard now
refuses an update only when it changes the id, the name or the creation time.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LOCKED = "jifen: quarter is locked"
_ANY_LOCKED = "EXISTS (SELECT 1 FROM quarter WHERE state = 'locked')"
_SEALED_CHANGE_SQLITE = "(NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.created_at IS NOT OLD.created_at)"
_SEALED_CHANGE_PG = ("(OLD.id IS DISTINCT FROM NEW.id OR OLD.name IS DISTINCT FROM NEW.name "
                     "OR OLD.created_at IS DISTINCT FROM NEW.created_at)")


def _sqlite_update_guard(when: str) -> str:
    return (f"CREATE TRIGGER branch_locked_update BEFORE UPDATE ON branch WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")


def upgrade() -> None:
    op.add_column("branch", sa.Column("contact_name", sa.String(), nullable=False, server_default=""))
    op.add_column("branch", sa.Column("contact_phone", sa.String(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS branch_locked_update")
        op.execute(_sqlite_update_guard(f"{_ANY_LOCKED} AND {_SEALED_CHANGE_SQLITE}"))
        return
    op.execute("DROP TRIGGER IF EXISTS branch_locked ON branch")
    op.execute("CREATE TRIGGER branch_locked BEFORE INSERT OR DELETE ON branch "
               "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_any_locked()")
    op.execute(f"CREATE TRIGGER branch_locked_update BEFORE UPDATE ON branch FOR EACH ROW "
               f"WHEN {_SEALED_CHANGE_PG} EXECUTE FUNCTION jifen_refuse_any_locked()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS branch_locked_update")
        op.execute(_sqlite_update_guard(_ANY_LOCKED))
        # SQLite 3.35 and later drop a column in place (a rebuild would trip the foreign keys).
        op.execute("ALTER TABLE branch DROP COLUMN contact_phone")
        op.execute("ALTER TABLE branch DROP COLUMN contact_name")
        return
    op.execute("DROP TRIGGER IF EXISTS branch_locked_update ON branch")
    op.execute("DROP TRIGGER IF EXISTS branch_locked ON branch")
    op.execute("CREATE TRIGGER branch_locked BEFORE INSERT OR UPDATE OR DELETE ON branch "
               "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_any_locked()")
    op.drop_column("branch", "contact_phone")
    op.drop_column("branch", "contact_name")
