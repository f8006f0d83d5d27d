"""guards for everything a locked quarter depends on beyond its own rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

Revisions 0001 and 0002 refuse any insert, update or delete of a locked quarter's own rows
(entry, meeting, roll_call, vote, ballot, tally, ballot_count, quarter_member, undo_slot,
objection, agenda_note), a locked quarter's change of state, and any change to a lock or the
audit log. This one adds what a locked quarter reads from outside its rows:

- scheme_year: the rules of a year with a locked quarter (no update, delete, or a new row
  for that year; its figures are always rescored by these rules);
- past_result: the results of a year whose fourth quarter is locked (the lock wrote them
  and its digest holds them), and of the year before any year with a locked quarter (its
  two-year rules read them); no insert, update or delete;
- branch: its name is on every locked minute and in every digest (and a database holds one
  branch: no second one once anything is locked);
- lock: no second lock of a locked quarter (the quarter_id is unique too, this says why);
- quarter: no quarter marked locked without its lock row (inserted locked, or updated to
  locked with no lock) - the lock writes its row first.
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

LOCKED = "jifen: quarter is locked"
NO_LOCK = "jifen: a locked quarter needs its lock"

# A year's rows are sealed when a quarter of that year is locked ({y} is the row's year).
_YEAR_LOCKED = "EXISTS (SELECT 1 FROM quarter WHERE year = {y} AND state = 'locked')"
# Past results are sealed by their own Q4 lock or any lock of the next year.
_RESULT_SEALED = ("EXISTS (SELECT 1 FROM quarter WHERE state = 'locked' AND "
                  "((year = {y} AND number = 4) OR year = {y} + 1))")
_ANY_LOCKED = "EXISTS (SELECT 1 FROM quarter WHERE state = 'locked')"


def _sqlite_guards() -> list[str]:
    out = []

    def guard(name: str, when: str, table: str, op_: str) -> None:
        out.append(f"CREATE TRIGGER {name} BEFORE {op_} ON \"{table}\" WHEN {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{LOCKED}'); END")

    for table, sealed in (("scheme_year", _YEAR_LOCKED), ("past_result", _RESULT_SEALED)):
        guard(f"{table}_locked_insert", sealed.format(y="NEW.year"), table, "INSERT")
        guard(f"{table}_locked_update", sealed.format(y="OLD.year"), table, "UPDATE")
        guard(f"{table}_locked_move", sealed.format(y="NEW.year"), table, "UPDATE")
        guard(f"{table}_locked_delete", sealed.format(y="OLD.year"), table, "DELETE")
    guard("branch_locked_insert", _ANY_LOCKED, "branch", "INSERT")
    guard("branch_locked_update", _ANY_LOCKED, "branch", "UPDATE")
    guard("branch_locked_delete", _ANY_LOCKED, "branch", "DELETE")
    guard("lock_locked_insert", "(SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked'", "lock", "INSERT")
    out.append("CREATE TRIGGER quarter_locked_insert BEFORE INSERT ON quarter WHEN NEW.state = 'locked' "
               f"BEGIN SELECT RAISE(ABORT, '{NO_LOCK}'); END")
    out.append("CREATE TRIGGER quarter_locked_needs_lock BEFORE UPDATE ON quarter WHEN NEW.state = 'locked' "
               "AND NOT EXISTS (SELECT 1 FROM \"lock\" WHERE quarter_id = NEW.id) "
               f"BEGIN SELECT RAISE(ABORT, '{NO_LOCK}'); END")
    return out


SQLITE_TRIGGERS = (*(f"{t}_locked_{op_}" for t in ("scheme_year", "past_result")
                      for op_ in ("insert", "update", "move", "delete")),
                   "branch_locked_insert", "branch_locked_update", "branch_locked_delete", "lock_locked_insert",
                   "quarter_locked_insert", "quarter_locked_needs_lock")


def _plpgsql(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger AS $$\nBEGIN\n{body}\n" \
           "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\nRETURN NEW;\nEND $$ LANGUAGE plpgsql"


def _postgresql_guards() -> list[str]:
    def both(sealed: str) -> str:
        return (f"IF TG_OP <> 'INSERT' AND {sealed.format(y='OLD.year')} THEN RAISE EXCEPTION '{LOCKED}'; END IF;\n"
                f"IF TG_OP <> 'DELETE' AND {sealed.format(y='NEW.year')} THEN RAISE EXCEPTION '{LOCKED}'; END IF;")

    return [
        _plpgsql("jifen_refuse_locked_year", both(_YEAR_LOCKED)),
        _plpgsql("jifen_refuse_sealed_result", both(_RESULT_SEALED)),
        _plpgsql("jifen_refuse_any_locked", f"IF {_ANY_LOCKED} THEN RAISE EXCEPTION '{LOCKED}'; END IF;"),
        _plpgsql("jifen_refuse_second_lock",
                 "IF (SELECT state FROM quarter WHERE id = NEW.quarter_id) = 'locked' THEN "
                 f"RAISE EXCEPTION '{LOCKED}'; END IF;"),
        _plpgsql("jifen_quarter_needs_lock",
                 "IF NEW.state = 'locked' AND (TG_OP = 'INSERT' OR NOT EXISTS "
                 f"(SELECT 1 FROM \"lock\" WHERE quarter_id = NEW.id)) THEN RAISE EXCEPTION '{NO_LOCK}'; END IF;"),
        "CREATE TRIGGER scheme_year_locked BEFORE INSERT OR UPDATE OR DELETE ON scheme_year "
        "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_locked_year()",
        "CREATE TRIGGER past_result_locked BEFORE INSERT OR UPDATE OR DELETE ON past_result "
        "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_sealed_result()",
        "CREATE TRIGGER branch_locked BEFORE INSERT OR UPDATE OR DELETE ON branch "
        "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_any_locked()",
        "CREATE TRIGGER lock_locked_insert BEFORE INSERT ON \"lock\" "
        "FOR EACH ROW EXECUTE FUNCTION jifen_refuse_second_lock()",
        "CREATE TRIGGER quarter_needs_lock BEFORE INSERT OR UPDATE ON quarter "
        "FOR EACH ROW EXECUTE FUNCTION jifen_quarter_needs_lock()",
    ]


PG_TRIGGERS = (("scheme_year_locked", "scheme_year"), ("past_result_locked", "past_result"),
               ("branch_locked", "branch"), ("lock_locked_insert", '"lock"'), ("quarter_needs_lock", "quarter"))
PG_FUNCTIONS = ("jifen_refuse_locked_year", "jifen_refuse_sealed_result", "jifen_refuse_any_locked",
                "jifen_refuse_second_lock", "jifen_quarter_needs_lock")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _sqlite_guards() if dialect == "sqlite" else _postgresql_guards():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
