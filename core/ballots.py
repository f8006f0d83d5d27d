"""When a paper ballot is void (无效票): returned, but none of its marks counted.

The rules are the scheme's `[evaluation.ballot]` settings; this module only applies them.
A name left unmarked on an otherwise valid ballot is simply not rated on it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from math import floor

# A fixed rule, not a setting: more ballots back than were handed out voids the round.
RETURNED_OVER_ISSUED = "收回票数多于发出票数，本次测评无效"


@dataclass(frozen=True)
class BallotRules:
    excellent_share: Fraction | None  # None: no limit on 优秀 per ballot
    all_unmarked_void: bool


def excellent_limit(share: Fraction, names: int) -> int:
    """How many 优秀 one ballot may give: the share of the names on it, at least one."""
    return max(1, floor(share * names))


def void_reason(rules: BallotRules, marks: dict[int, str], names: int,
                graded: Collection[int] | None = None) -> str:
    """Why the ballot is void, in Chinese, or "" when it counts. `graded`: the ids of the full
    members when some names on the ballot are probationary (rated, but not graded: 不定等次);
    then `names` counts those full members, and only their 优秀 count against the share, as the
    printed ballot says. None: every name on the ballot is graded."""
    if not marks:
        return "全部未标记（空白票）" if rules.all_unmarked_void else ""
    if rules.excellent_share is not None:
        limit = excellent_limit(rules.excellent_share, names)
        excellent = sum(1 for k, v in marks.items() if v == "优秀" and (graded is None or k in graded))
        if excellent > limit:
            who = "参评" if graded is None else "正式党员"
            return f"评为优秀{excellent}人，超过{who}{names}人的{rules.excellent_share}（至多{limit}人）"
    return ""
