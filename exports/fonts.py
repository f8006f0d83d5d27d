"""Finding the CJK faces for the PDFs: a FontSet of a body face, a real bold face, and the faces
for titles and headings.

The body face, in order: a configured path (JIFEN_FONT, or the `font` argument); the system's
fonts, a serif (仿宋/宋体) first as official documents are set (Windows 仿宋 simfang.ttf, 宋体
simsun.ttc; macOS 宋体-简 Songti; Linux Noto Serif CJK SC), then the sans faces (黑体, 雅黑,
Noto Sans CJK, 文泉驿); then the Noto Sans CJK collection installed from the package registry as
a dependency (noto-cjk[sans]; the registry offers no serif package), so a fresh machine needs
nothing by hand.

The bold face belongs to the body face's family: Noto Serif CJK Bold beside Noto Serif CJK
Regular, 宋体-简 粗体 in the Songti collection; on Windows, whose 仿宋 and 宋体 have no bold,
黑体 (simhei.ttf), which is what official documents set their first-level headings in. A
configured file is paired with its "Bold" sibling when there is one. Without a bold face the
documents stroke the outline of the regular one. fpdf2 embeds only the glyphs used (subsetting).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class FontMissing(RuntimeError):
    """No CJK font found; the message lists every place searched."""


@dataclass(frozen=True)
class CjkFont:
    path: Path
    index: int = 0  # the face inside a .ttc collection
    name: str = ""


@dataclass(frozen=True)
class FontSet:
    """The faces one document uses. `bold` None: bold text is the regular face, stroked;
    `heading`/`title` None: the bold face."""

    regular: CjkFont
    bold: CjkFont | None = None
    heading: CjkFont | None = None
    title: CjkFont | None = None

    @property
    def heading_face(self) -> CjkFont | None:
        return self.heading or self.bold

    @property
    def title_face(self) -> CjkFont | None:
        return self.title or self.bold


@dataclass(frozen=True)
class _Family:
    """A body face and the bold faces that go with it, best first; `names` are the PostScript
    names to look for inside a collection (the index is used when the file cannot be read)."""

    regular: CjkFont
    bold: tuple[CjkFont, ...] = ()
    names: tuple[str, ...] = ()
    bold_names: tuple[str, ...] = ()


# Where the platform lists look (module attributes, so that tests can point them at a folder).
MACOS_FONTS = Path("/System/Library/Fonts")
LINUX_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk",
                   "/usr/share/fonts/truetype/noto")
LINUX_WQY = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
             "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc")


def _windows() -> list[_Family]:
    root = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    hei = CjkFont(root / "simhei.ttf", 0, "黑体")
    return [_Family(CjkFont(root / "simfang.ttf", 0, "仿宋"), (hei,)),
            _Family(CjkFont(root / "simsun.ttc", 0, "宋体"), (hei,)),
            _Family(hei),  # 黑体 is heavy already: its bold is stroked
            _Family(CjkFont(root / "msyh.ttc", 0, "微软雅黑"), (CjkFont(root / "msyhbd.ttc", 0, "微软雅黑 粗体"),))]


def _macos() -> list[_Family]:
    root = MACOS_FONTS
    songti = root / "Supplemental" / "Songti.ttc"
    pingfang = root / "PingFang.ttc"
    return [_Family(CjkFont(songti, 0, "宋体-简"), (CjkFont(songti, 0, "宋体-简 粗体"),),
                    ("STSongti-SC-Regular",), ("STSongti-SC-Bold",)),
            _Family(CjkFont(root / "STHeiti Light.ttc", 0, "华文黑体"),
                    (CjkFont(root / "STHeiti Medium.ttc", 0, "华文黑体 中黑"),), ("STHeitiSC-Light",),
                    ("STHeitiSC-Medium",)),
            _Family(CjkFont(pingfang, 0, "苹方"), (CjkFont(pingfang, 0, "苹方 中粗"),), ("PingFangSC-Regular",),
                    ("PingFangSC-Semibold",))]


def _linux() -> list[_Family]:
    # In the Noto CJK collections the Simplified Chinese face is the third (JP, KR, SC, TC, HK).
    out = []
    for kind in ("Serif", "Sans"):
        for folder in LINUX_FONT_DIRS:
            out.append(_Family(CjkFont(Path(folder) / f"Noto{kind}CJK-Regular.ttc", 2, f"Noto {kind} CJK SC"),
                               (CjkFont(Path(folder) / f"Noto{kind}CJK-Bold.ttc", 2, f"Noto {kind} CJK SC Bold"),)))
    for path in LINUX_WQY:
        out.append(_Family(CjkFont(Path(path), 0, "文泉驿")))
    return out


def _packaged() -> list[CjkFont]:
    try:
        import noto_cjk

        return [CjkFont(Path(noto_cjk.otc_path("sans")), 2, "Noto Sans CJK SC")]
    except Exception:  # the package is a dependency; a broken install falls through to the error
        return []


def _chinese_face(path: Path) -> int:
    """In a font collection, the Simplified Chinese face (Noto CJK puts Japanese first)."""
    if path.suffix.lower() not in (".ttc", ".otc") or not path.is_file():
        return 0
    try:
        from fontTools.ttLib import TTCollection

        with TTCollection(str(path), lazy=True) as collection:
            for i, face in enumerate(collection.fonts):
                name = str(face["name"].getDebugName(1) or "")
                if name.endswith((" SC", " CN")) or "Simplified" in name or "简" in name or "宋体" in name:
                    return i
    except Exception:  # an unreadable collection is reported when the document loads it
        return 0
    return 0


def _named_face(font: CjkFont, names: Sequence[str]) -> CjkFont:
    """The face of a collection whose PostScript name is one of `names` (the first found), else
    `font` as it is."""
    if not names or font.path.suffix.lower() not in (".ttc", ".otc"):
        return font
    try:
        from fontTools.ttLib import TTCollection

        with TTCollection(str(font.path), lazy=True) as collection:
            found = {str(face["name"].getDebugName(6) or ""): i for i, face in enumerate(collection.fonts)}
    except Exception:  # unreadable here: the document reports it when it loads the face
        return font
    for name in names:
        if name in found:
            return CjkFont(font.path, found[name], font.name)
    return font


def _families(platform: str) -> list[_Family]:
    if platform.startswith("win"):
        return _windows()
    if platform == "darwin":
        return _macos()
    return _linux()


def _bold_sibling(font: CjkFont) -> CjkFont | None:
    """A configured file's bold: the same name with Bold for Regular (NotoSerifCJK-Bold.ttc
    beside NotoSerifCJK-Regular.ttc), the same face index."""
    name = font.path.name
    for regular, bold in (("Regular", "Bold"), ("regular", "bold"), ("REGULAR", "BOLD")):
        if regular in name:
            sibling = font.path.with_name(name.replace(regular, bold))
            if sibling.is_file():
                return CjkFont(sibling, font.index, f"{font.name} bold".strip())
    return None


def candidates(configured: str | os.PathLike | None = None, platform: str = sys.platform) -> list[CjkFont]:
    """The body faces looked for, in order (without the packaged fallback)."""
    out = []
    chosen = configured or os.environ.get("JIFEN_FONT")
    if chosen:
        out.append(CjkFont(Path(chosen), _chinese_face(Path(chosen)), "configured"))
    out += [f.regular for f in _families(platform)]
    return out


def _missing(tried: list[CjkFont]) -> FontMissing:
    searched = "\n".join(f"  {f.path}" for f in tried)
    return FontMissing("找不到中文字体，PDF 无法生成。已查找：\n" + searched +
                       "\n以及随程序安装的 Noto Sans CJK（noto-cjk-sans-otc）。"
                       "请设置 JIFEN_FONT 指向一个 .ttf/.ttc/.otf 中文字体文件。")


def find_fonts(configured: str | os.PathLike | None = None, platform: str = sys.platform,
               packaged: bool = True) -> FontSet:
    """The faces for a document: the first body face that exists (in the order of the module
    docstring) and the bold face of its family, if there is one."""
    chosen = configured or os.environ.get("JIFEN_FONT")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise FontMissing(f"指定的字体文件不存在：{chosen}（JIFEN_FONT 或 jifen export --font）")
        font = CjkFont(path, _chinese_face(path), "configured")
        return FontSet(font, _bold_sibling(font))
    families = _families(platform)
    for family in families:
        if family.regular.path.is_file():
            bold = next((_named_face(b, family.bold_names) for b in family.bold if b.path.is_file()), None)
            return FontSet(_named_face(family.regular, family.names), bold)
    for font in _packaged() if packaged else []:
        if font.path.is_file():
            return FontSet(font, _bold_sibling(font))
    raise _missing([f.regular for f in families])


def find_font(configured: str | os.PathLike | None = None, platform: str = sys.platform,
              packaged: bool = True) -> CjkFont:
    """The body face find_fonts chooses."""
    return find_fonts(configured, platform, packaged).regular


def font_set(font: CjkFont | FontSet) -> FontSet:
    """A FontSet for a face given alone: with its Bold sibling file, if there is one."""
    return font if isinstance(font, FontSet) else FontSet(font, _bold_sibling(font))
