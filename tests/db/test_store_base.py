"""db.store_base declares once what db.store.Store lends its mixins: each declaration has the
real member's parameters (names, kinds, defaults, annotations as written), the mixins derive
from it and repeat none of it, and at run time it adds nothing that could shadow Store's own."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

import db.store_base
from db.appeals import AppealOps
from db.ballots import BallotOps
from db.grading import GradingOps
from db.reads import StoreReads
from db.record import RecordOps
from db.store import Store
from db.store_base import StoreInternals
from db.years import YearOps

MIXINS = (RecordOps, BallotOps, YearOps, AppealOps, GradingOps)
SOURCE = Path(db.store_base.__file__)


def _declared() -> tuple[dict[str, ast.FunctionDef], dict[str, str]]:
    """The methods and attributes StoreInternals declares for mypy, read from its source."""
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "StoreInternals")
    block = next(n for n in cls.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    methods = {n.name: n for n in block.body if isinstance(n, ast.FunctionDef)}
    attrs = {ast.unparse(n.target): ast.unparse(n.annotation) for n in block.body if isinstance(n, ast.AnnAssign)}
    return methods, attrs


def _params(fn: ast.FunctionDef) -> list[tuple[str, str, str, str]]:
    """(name, kind, default, annotation) of each parameter, as inspect reports them."""
    a = fn.args

    def one(arg: ast.arg, kind: str, default: ast.expr | None = None) -> tuple[str, str, str, str]:
        return (arg.arg, kind, "" if default is None else ast.unparse(default),
                "" if arg.annotation is None else ast.unparse(arg.annotation))

    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = [one(arg, "POSITIONAL_ONLY" if arg in a.posonlyargs else "POSITIONAL_OR_KEYWORD", default)
           for arg, default in zip(positional, defaults, strict=True)]
    if a.vararg:
        out.append(one(a.vararg, "VAR_POSITIONAL"))
    out += [one(arg, "KEYWORD_ONLY", default) for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    if a.kwarg:
        out.append(one(a.kwarg, "VAR_KEYWORD"))
    return out


def _real_params(member: Any) -> list[tuple[str, str, str, str]]:
    sig = inspect.signature(member)
    return [(p.name, p.kind.name, "" if p.default is inspect.Parameter.empty else repr(p.default),
             "" if p.annotation is inspect.Parameter.empty else str(p.annotation))
            for p in sig.parameters.values()]


METHODS, ATTRS = _declared()


def test_the_declarations_are_there():
    assert set(METHODS) == {"_tx", "_audit", "_undo_slot", "_branch", "_quarter", "_open_quarter",
                            "_meeting_quarter", "_member", "_scheme", "_roster", "members_at", "board"}
    assert ATTRS == {"engine": "Engine", "clock": "Callable[[], datetime]"}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_declaration_matches_the_real_member(name):
    real = getattr(Store, name)
    assert _params(METHODS[name]) == _real_params(real)
    declared_return = ast.unparse(METHODS[name].returns) if METHODS[name].returns else ""
    wrapped = getattr(real, "__wrapped__", None)
    if wrapped is None:
        assert declared_return == inspect.signature(real).return_annotation
    else:  # @contextmanager over a generator of Session: a context manager of Session
        assert inspect.signature(wrapped).return_annotation == "Iterator[Session]"
        assert declared_return == "AbstractContextManager[Session]"


def test_the_attributes_match_the_reads():
    for name, annotation in ATTRS.items():
        assert StoreReads.__annotations__[name] == annotation


def test_every_mixin_derives_from_it_and_declares_nothing_of_its_own():
    for mixin in MIXINS:
        assert StoreInternals in mixin.__bases__
        tree = ast.parse(inspect.getsource(mixin))
        body = tree.body[0]
        assert isinstance(body, ast.ClassDef)
        assert not [n for n in body.body if isinstance(n, ast.If)], f"{mixin.__name__} repeats a TYPE_CHECKING block"
    assert all(issubclass(Store, mixin) for mixin in MIXINS)


def test_at_run_time_it_is_empty_and_last():
    own = {k for k in vars(StoreInternals) if not k.startswith("__")}
    assert own == set()
    mro = Store.__mro__
    assert mro.index(StoreInternals) > max(mro.index(m) for m in (StoreReads, *MIXINS))
