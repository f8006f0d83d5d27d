"""Finding the CJK faces: a configured path, the system's fonts for the platform (a serif body face
first, with the bold face of its family), then the Noto Sans CJK collection installed with the
program; a FontMissing that lists every place searched. The choice on each platform is tested on
folders of empty files named as the platform names them; what a document embeds, with the real
fonts of this machine, in test_typography."""

from __future__ import annotations

import os
from pathlib import Path

import noto_cjk
import pytest
from fontTools.ttLib import TTCollection

import exports.fonts as fonts
from exports.fonts import CjkFont, FontMissing, FontSet, candidates, find_font, find_fonts

PACKAGED = Path(noto_cjk.otc_path("sans"))


def face_name(font: CjkFont) -> str:
    """The full name of the face find_font chose inside its collection."""
    return TTCollection(str(font.path), lazy=True).fonts[font.index]["name"].getDebugName(4)


@pytest.fixture(autouse=True)
def no_configured_font(monkeypatch):
    monkeypatch.delenv("JIFEN_FONT", raising=False)


@pytest.fixture
def no_system_fonts(monkeypatch, tmp_path):
    """A Linux machine without CJK fonts, whatever this machine has: the candidates are paths in
    tmp_path that do not exist."""
    missing = [CjkFont(tmp_path / "noto" / "NotoSerifCJK-Regular.ttc", 2, "Noto CJK SC"),
               CjkFont(tmp_path / "noto" / "NotoSansCJK-Regular.ttc", 2, "Noto CJK SC"),
               CjkFont(tmp_path / "wqy" / "wqy-zenhei.ttc", 0, "文泉驿")]
    monkeypatch.setattr(fonts, "_linux", lambda: [fonts._Family(f) for f in missing])
    return missing


def test_the_packaged_font_is_there():
    assert PACKAGED.is_file() and PACKAGED.suffix == ".ttc"


# ------------------------------------------------------------------------------ configured


def test_configured_path_that_exists_is_used_first(no_system_fonts):
    font = find_font(PACKAGED, platform="linux")
    assert font == CjkFont(PACKAGED, 2, "configured")  # the collection's Simplified Chinese face


def test_configured_by_environment(monkeypatch, no_system_fonts):
    monkeypatch.setenv("JIFEN_FONT", str(PACKAGED))
    assert find_font(platform="linux").path == PACKAGED
    assert find_font(platform="linux").name == "configured"
    assert candidates(platform="win32")[0] == CjkFont(PACKAGED, 2, "configured")


def test_configured_argument_wins_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JIFEN_FONT", str(tmp_path / "不在这里.ttf"))
    assert find_font(PACKAGED, platform="linux").path == PACKAGED


def test_configured_path_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / "字体" / "方正小标宋.ttf"
    with pytest.raises(FontMissing) as caught:
        find_font(missing, platform="linux")  # the packaged font is there, but the user asked for this one
    assert str(missing) in str(caught.value)
    assert "指定的字体文件不存在" in str(caught.value)


def test_configured_folder_is_not_a_font(tmp_path):
    with pytest.raises(FontMissing, match="指定的字体文件不存在"):
        find_font(tmp_path, platform="linux")


def test_environment_path_that_does_not_exist_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("JIFEN_FONT", str(tmp_path / "simfang.ttf"))
    with pytest.raises(FontMissing) as caught:
        find_font(platform="win32")
    assert str(tmp_path / "simfang.ttf") in str(caught.value) and "JIFEN_FONT" in str(caught.value)


def test_empty_environment_variable_counts_as_unset(monkeypatch, no_system_fonts):
    monkeypatch.setenv("JIFEN_FONT", "")
    assert find_font(platform="linux").path == PACKAGED


def test_configured_noto_collection_uses_its_simplified_chinese_face(no_system_fonts):
    font = find_font(PACKAGED, platform="linux")
    assert "CJK SC" in face_name(font)


def test_the_option_the_message_names_exists(tmp_path):
    from tui.cli import build_parser

    with pytest.raises(FontMissing) as caught:
        find_font(tmp_path / "x.ttf", platform="linux")
    assert "--font" in str(caught.value)
    try:
        args = build_parser().parse_args(["export", "minutes", "--quarter", "2026Q3", "--font", str(PACKAGED),
                                          "--out", str(tmp_path / "x.pdf")])
    except SystemExit:
        pytest.fail("jifen export does not accept --font")
    assert getattr(args, "font", None) == str(PACKAGED)


# ------------------------------------------------------------------------------ nothing anywhere


def test_no_font_anywhere_lists_every_path_searched(no_system_fonts):
    with pytest.raises(FontMissing) as caught:
        find_font(platform="linux", packaged=False)
    message = str(caught.value)
    assert "找不到中文字体" in message and "JIFEN_FONT" in message
    for font in no_system_fonts:
        assert f"  {font.path}\n" in message
    assert "Noto Sans CJK" in message  # it says the packaged font was looked for too


def test_the_real_linux_list_is_searched_in_full():
    real = [f.regular for f in fonts._linux()]
    if any(f.path.is_file() for f in real):
        pytest.skip("this machine has a system CJK font")
    with pytest.raises(FontMissing) as caught:
        find_font(platform="linux", packaged=False)
    for font in real:
        assert str(font.path) in str(caught.value)
    assert any("NotoSansCJK" in str(f.path) for f in real) and any("wqy" in str(f.path) for f in real)


def test_no_font_on_windows_lists_the_windows_fonts(monkeypatch, tmp_path):
    monkeypatch.setenv("WINDIR", str(tmp_path / "Windows"))
    with pytest.raises(FontMissing) as caught:
        find_font(platform="win32", packaged=False)
    for name in ("simfang.ttf", "simsun.ttc", "simhei.ttf", "msyh.ttc"):
        assert str(tmp_path / "Windows" / "Fonts" / name) in str(caught.value)


def test_a_broken_packaged_install_falls_through_to_the_error(monkeypatch, no_system_fonts):
    import sys

    monkeypatch.setitem(sys.modules, "noto_cjk", None)  # `import noto_cjk` now raises ImportError
    assert fonts._packaged() == []
    with pytest.raises(FontMissing):
        find_font(platform="linux")


# ------------------------------------------------------------------------------ platform lists


def test_windows_candidates(monkeypatch):
    monkeypatch.delenv("WINDIR", raising=False)
    found = candidates(platform="win32")
    assert [(f.path.name, f.name) for f in found] == [
        ("simfang.ttf", "仿宋"), ("simsun.ttc", "宋体"), ("simhei.ttf", "黑体"), ("msyh.ttc", "微软雅黑")]
    assert all(str(f.path).startswith("C:\\Windows") and f.path.parent.name == "Fonts" for f in found)
    assert all(f.index == 0 for f in found)  # SimSun and Microsoft YaHei are the first faces of their .ttc


def test_windows_candidates_follow_windir(monkeypatch):
    monkeypatch.setenv("WINDIR", r"D:\WINNT")
    assert all(str(f.path).startswith("D:\\WINNT") for f in candidates(platform="win32"))


def test_macos_candidates():
    found = candidates(platform="darwin")
    assert [str(f.path) for f in found] == ["/System/Library/Fonts/Supplemental/Songti.ttc",
                                             "/System/Library/Fonts/STHeiti Light.ttc",
                                             "/System/Library/Fonts/PingFang.ttc"]
    assert [f.name for f in found] == ["宋体-简", "华文黑体", "苹方"]


def test_linux_candidates_use_the_simplified_chinese_face():
    found = candidates(platform="linux")
    noto = [f for f in found if "CJK" in f.path.name]
    assert noto and all(f.index == 2 for f in noto)  # JP, KR, SC, TC, HK: SC is the third
    assert any(f.path.name.startswith("wqy-") for f in found)


def test_configured_comes_before_the_system_list(tmp_path):
    found = candidates(tmp_path / "my.ttf", platform="darwin")
    assert found[0] == CjkFont(tmp_path / "my.ttf", 0, "configured")
    assert len(found) == 4


# ------------------------------------------------------------------------------ the packaged fallback


def test_packaged_font_is_found_when_nothing_else_is(no_system_fonts):
    font = find_font(platform="linux")
    assert font.path == PACKAGED and font.index == 2
    assert face_name(font) == "Noto Sans CJK SC"


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_packaged_font_on_other_platforms(monkeypatch, tmp_path, platform):
    monkeypatch.setenv("WINDIR", str(tmp_path / "Windows"))
    if any(f.path.is_file() for f in candidates(platform=platform)):
        pytest.skip("this machine has those fonts")
    assert find_font(platform=platform).path == PACKAGED


def test_a_system_font_is_preferred_to_the_packaged_one(monkeypatch, tmp_path):
    system = tmp_path / "NotoSansCJK-Regular.ttc"
    os.symlink(PACKAGED, system)
    monkeypatch.setattr(fonts, "_linux", lambda: [fonts._Family(CjkFont(tmp_path / "absent.ttc", 2, "Noto CJK SC")),
                                                  fonts._Family(CjkFont(system, 2, "Noto CJK SC"))])
    assert find_font(platform="linux") == CjkFont(system, 2, "Noto CJK SC")


def test_documents_embed_the_simplified_chinese_face_as_a_subset(no_system_fonts, tmp_path):
    from pypdf import PdfReader

    from exports.document import Document

    doc = Document("测试", font=find_font(platform="linux"))
    doc.add_page()
    doc.para("党支部党员大会会议记录：直骨写")
    out = doc.save(tmp_path / "t.pdf")
    base = {f.get_object()["/BaseFont"] for f in PdfReader(out).pages[0]["/Resources"]["/Font"].values()}
    assert base and all(b.endswith("+NotoSansCJKSC") for b in base)  # a subset (tag+) of the SC face
    assert out.stat().st_size < 60 * 1024


# ------------------------------------------------------------------------------ the set of faces, platform by platform


def touch(folder: Path, *names: str) -> Path:
    """Empty files with the names a platform gives its fonts: enough for the choice (a document
    would refuse them)."""
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    return folder


@pytest.mark.parametrize("present,regular,bold", [
    (("simfang.ttf", "simsun.ttc", "simhei.ttf", "msyh.ttc", "msyhbd.ttc"), "simfang.ttf", "simhei.ttf"),
    (("simsun.ttc", "simhei.ttf"), "simsun.ttc", "simhei.ttf"),  # 宋体 has no bold: 黑体, as 公文 headings are
    (("simfang.ttf",), "simfang.ttf", None),  # no 黑体: the outline is stroked
    (("simhei.ttf", "msyh.ttc", "msyhbd.ttc"), "simhei.ttf", None),  # 黑体 is heavy already
    (("msyh.ttc", "msyhbd.ttc"), "msyh.ttc", "msyhbd.ttc"),
])
def test_windows_font_set(monkeypatch, tmp_path, present, regular, bold):
    monkeypatch.setenv("WINDIR", str(tmp_path))
    touch(tmp_path / "Fonts", *present)
    chosen = find_fonts(platform="win32", packaged=False)
    assert chosen.regular.path == tmp_path / "Fonts" / regular
    assert (chosen.bold.path.name if chosen.bold else None) == bold
    assert chosen.heading_face == chosen.bold and chosen.title_face == chosen.bold


def test_macos_font_set(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "MACOS_FONTS", tmp_path)
    touch(tmp_path, "Supplemental/Songti.ttc", "STHeiti Light.ttc", "STHeiti Medium.ttc", "PingFang.ttc")
    chosen = find_fonts(platform="darwin", packaged=False)
    # 宋体-简 and its bold are faces of one collection (found by name when the file is real)
    assert chosen.regular == CjkFont(tmp_path / "Supplemental" / "Songti.ttc", 0, "宋体-简")
    assert chosen.bold == CjkFont(tmp_path / "Supplemental" / "Songti.ttc", 0, "宋体-简 粗体")
    (tmp_path / "Supplemental" / "Songti.ttc").unlink()
    chosen = find_fonts(platform="darwin", packaged=False)
    assert (chosen.regular.path.name, chosen.bold.path.name) == ("STHeiti Light.ttc", "STHeiti Medium.ttc")


@pytest.mark.parametrize("present,regular,bold", [
    (("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc", "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
     "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"),
    # the bold face is the body face's family: never a sans bold to a serif body
    (("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"), "NotoSerifCJK-Regular.ttc", None),
    (("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Bold.ttc"), "NotoSansCJK-Regular.ttc",
     "NotoSansCJK-Bold.ttc"),
])
def test_linux_font_set(monkeypatch, tmp_path, present, regular, bold):
    monkeypatch.setattr(fonts, "LINUX_FONT_DIRS", (str(tmp_path / "none"), str(tmp_path / "noto")))
    monkeypatch.setattr(fonts, "LINUX_WQY", ())
    touch(tmp_path / "noto", *present)
    chosen = find_fonts(platform="linux", packaged=False)
    assert chosen.regular == CjkFont(tmp_path / "noto" / regular, 2, chosen.regular.name)  # the SC face
    if bold is None:
        assert chosen.bold is None
    else:
        assert chosen.bold.path == tmp_path / "noto" / bold and chosen.bold.index == 2


def test_linux_serif_in_a_later_folder_wins_over_sans_in_an_earlier_one(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "LINUX_FONT_DIRS", (str(tmp_path / "a"), str(tmp_path / "b")))
    touch(tmp_path / "a", "NotoSansCJK-Regular.ttc")
    touch(tmp_path / "b", "NotoSerifCJK-Regular.ttc")
    assert find_fonts(platform="linux", packaged=False).regular.path == tmp_path / "b" / "NotoSerifCJK-Regular.ttc"


def test_configured_font_keeps_first_with_its_bold_sibling(monkeypatch, tmp_path):
    monkeypatch.setenv("WINDIR", str(tmp_path / "Windows"))
    touch(tmp_path / "Windows" / "Fonts", "simfang.ttf", "simhei.ttf")
    touch(tmp_path / "mine", "SourceHanSerifSC-Regular.otf", "SourceHanSerifSC-Bold.otf")
    monkeypatch.setenv("JIFEN_FONT", str(tmp_path / "mine" / "SourceHanSerifSC-Regular.otf"))
    chosen = find_fonts(platform="win32")
    assert chosen.regular.path.name == "SourceHanSerifSC-Regular.otf" and chosen.regular.name == "configured"
    assert chosen.bold is not None and chosen.bold.path.name == "SourceHanSerifSC-Bold.otf"
    (tmp_path / "mine" / "SourceHanSerifSC-Bold.otf").unlink()
    chosen = find_fonts(platform="win32")  # no sibling: stroked, not the system's 黑体 beside another face
    assert chosen.bold is None and chosen.regular.path.parent == tmp_path / "mine"


def test_packaged_font_has_no_bold_face(no_system_fonts):
    chosen = find_fonts(platform="linux")
    assert chosen == FontSet(CjkFont(PACKAGED, 2, "Noto Sans CJK SC"))  # the registry offers Regular only
    assert chosen.bold is None and chosen.heading_face is None


def test_find_font_is_the_body_face_of_the_set(no_system_fonts):
    assert find_font(platform="linux") == find_fonts(platform="linux").regular
