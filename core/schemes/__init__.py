"""The built-in schemes, one TOML file each, shipped as package data."""

from __future__ import annotations

from functools import cache
from importlib import resources

from core.scheme import Scheme, SchemeError, parse_scheme


def builtin_ids() -> list[str]:
    files = resources.files(__name__)
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_text(scheme_id: str) -> str:
    """The TOML text of a built-in scheme (the store keeps this text with each year)."""
    if scheme_id not in builtin_ids():
        raise SchemeError([f"没有名为“{scheme_id}”的内置积分方案；内置方案：{'、'.join(builtin_ids())}"])
    return resources.files(__name__).joinpath(f"{scheme_id}.toml").read_text(encoding="utf-8")


@cache
def builtin(scheme_id: str) -> Scheme:
    return parse_scheme(builtin_text(scheme_id), f"{scheme_id}.toml")
