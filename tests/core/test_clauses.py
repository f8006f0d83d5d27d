"""A quotation is a quotation: every `clause` of a built-in scheme occurs in its seed document.

The seeds under `tests/seeds` are copies of the five organisations' own documents. Whitespace
(the documents break lines mid-sentence and pad with spaces) and the `**` emphasis marks of the
transcriptions are removed on both sides before the search; nothing else is forgiven, so the
seed's own punctuation (half-width in 001 and 002) must be quoted as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from core.scheme import Cited, Scheme
from core.schemes import builtin

SEEDS = Path(__file__).parent.parent / "seeds"
SEED_OF = {
    "xinmi-hospital-2023": "000_0bf843d7d6c3dce6.txt",
    "municipal-bureau": "001_a2483a3b69e02265.txt",
    "xingping-medical-insurance-2022": "002_82c1b1cf067972e9.txt",
    "jsit-college-2020": "003_ef5084d07076663c.txt",
    "linyi-geopark-2021": "004_52458d656461d77c.txt",
}


def normalised(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("**", "")


def cited_parts(value: object, path: str = "") -> Iterator[tuple[str, Cited]]:
    if isinstance(value, Cited):
        yield path, value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from cited_parts(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from cited_parts(v, f"{path}[{i}]")


@pytest.mark.parametrize("scheme_id", list(SEED_OF))
def test_every_clause_is_found_in_its_seed(scheme_id: str) -> None:
    scheme: Scheme = builtin(scheme_id)
    seed = normalised((SEEDS / SEED_OF[scheme_id]).read_text(encoding="utf-8"))
    quoted = [(path, part) for path, part in cited_parts(scheme) if part.clause]
    assert len(quoted) > 20, "a scheme quotes its seed for its rules and its catalogue"
    missing = [f"{path}: {part.clause}" for path, part in quoted if normalised(part.clause) not in seed]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("scheme_id", list(SEED_OF))
def test_every_quotation_says_where_it_stands_and_no_reading_hides_in_it(scheme_id: str) -> None:
    for path, part in cited_parts(builtin(scheme_id)):
        if part.clause:
            assert part.place and part.place != "?", f"{path}: no place for {part.clause}"
        assert "本系统" not in part.clause and "理解" not in part.clause, f"{path}: a reading inside a quotation"


def test_the_check_finds_a_misquotation() -> None:
    seed = normalised((SEEDS / SEED_OF["xinmi-hospital-2023"]).read_text(encoding="utf-8"))
    assert normalised("年积分在60分以下的，应评为不合格") in seed
    assert normalised("尚未评议的不定等次") not in seed
    assert normalised("扣3分，每次") not in seed
