"""Finding a CJK font for the PDFs.

In order: a configured path (JIFEN_FONT, or the `font` argument); the system's fonts
(Windows 仿宋/宋体/黑体/微软雅黑, macOS, Linux Noto CJK or WenQuanYi); then the Noto Sans
CJK collection installed from the package registry as a dependency (noto-cjk[sans]), so a
fresh machine needs nothing by hand. fpdf2 embeds only the glyphs used (subsetting).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


class FontMissing(RuntimeError):
    """No CJK font found; the message lists every place searched."""


@dataclass(frozen=True)
class CjkFont:
    path: Path
    index: int = 0  # the face inside a .ttc collection
    name: str = ""


def _windows() -> list[CjkFont]:
    root = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    return [CjkFont(root / "simfang.ttf", 0, "仿宋"), CjkFont(root / "simsun.ttc", 0, "宋体"),
            CjkFont(root / "simhei.ttf", 0, "黑体"), CjkFont(root / "msyh.ttc", 0, "微软雅黑")]


def _macos() -> list[CjkFont]:
    return [CjkFont(Path("/System/Library/Fonts/Supplemental/Songti.ttc"), 0, "宋体-简"),
            CjkFont(Path("/System/Library/Fonts/STHeiti Light.ttc"), 0, "华文黑体"),
            CjkFont(Path("/System/Library/Fonts/PingFang.ttc"), 0, "苹方")]


def _linux() -> list[CjkFont]:
    # In the Noto CJK collections the Simplified Chinese face is the third (JP, KR, SC, TC, ...).
    out = []
    for folder in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk",
                   "/usr/share/fonts/truetype/noto"):
        for name in ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"):
            out.append(CjkFont(Path(folder) / name, 2, "Noto CJK SC"))
    for path in ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                 "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc"):
        out.append(CjkFont(Path(path), 0, "文泉驿"))
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


def candidates(configured: str | os.PathLike | None = None, platform: str = sys.platform) -> list[CjkFont]:
    out = []
    chosen = configured or os.environ.get("JIFEN_FONT")
    if chosen:
        out.append(CjkFont(Path(chosen), _chinese_face(Path(chosen)), "configured"))
    if platform.startswith("win"):
        out += _windows()
    elif platform == "darwin":
        out += _macos()
    else:
        out += _linux()
    return out


def find_font(configured: str | os.PathLike | None = None, platform: str = sys.platform,
              packaged: bool = True) -> CjkFont:
    """The first CJK font that exists, in the order of the module docstring."""
    tried = candidates(configured, platform)
    chosen = configured or os.environ.get("JIFEN_FONT")
    if chosen and not Path(chosen).is_file():
        raise FontMissing(f"指定的字体文件不存在：{chosen}（JIFEN_FONT 或 jifen export --font）")
    for font in tried + (_packaged() if packaged else []):
        if font.path.is_file():
            return font
    searched = "\n".join(f"  {f.path}" for f in tried)
    raise FontMissing("找不到中文字体，PDF 无法生成。已查找：\n" + searched +
                      "\n以及随程序安装的 Noto Sans CJK（noto-cjk-sans-otc）。"
                      "请设置 JIFEN_FONT 指向一个 .ttf/.ttc/.otf 中文字体文件。")
