"""The scoreboard printed in the terminal (rich), used by `jifen demo` until the console opens."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from core.demo import BRANCH, SCHEME_ID, demo_branch_year
from core.engine import YearResult, score
from core.labels import FLAG_LABELS, STATUS_LABELS
from core.numbers import show
from core.schemes import builtin


def scoreboard_table(result: YearResult, title: str) -> Table:
    table = Table(title=title, header_style="bold", expand=False)
    for col, justify in (("名次", "right"), ("姓名", "left"), ("类别", "left"), ("一季", "right"),
                         ("二季", "right"), ("三季", "right"), ("四季", "right"), ("积分", "right"),
                         ("评议", "right"), ("总分", "right"), ("等次", "left"), ("标记", "left")):
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    order = sorted(result.members, key=lambda m: (m.rank is None, m.rank or 0))
    for m in order:
        quarters = [show(q) for q in m.quarters] if m.quarters else ["—"] * 4
        table.add_row(
            str(m.rank) if m.rank else "—", m.name, STATUS_LABELS[m.status], *quarters, show(m.points),
            show(m.evaluation), show(m.total), m.grade or "—", "、".join(FLAG_LABELS[f] for f in m.flags),
        )
    return table


def print_demo_scoreboard(console: Console | None = None) -> None:
    scheme = builtin(SCHEME_ID)
    result = score(scheme, demo_branch_year(scheme))
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=140)
    console.print(scoreboard_table(result, f"{BRANCH} 2026年度积分（{scheme.name}）"))


def print_board(store, year: int, console: Console | None = None) -> None:  # type: ignore[no-untyped-def]
    """The live board of a database's year, as the console will show it."""
    result = store.board(year)
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=140)
    console.print(scoreboard_table(result, f"{store.branch_name()} {year}年度积分（{store.scheme(year).name}）"))
