"""The CJK font that reports, charts and maps are set in, shipped by a PyPI package.

Chinese text must render on a bare machine with nothing but the Python dependencies,
so the font comes from the PyPI package ``noto-cjk-sans-otc`` (Noto Sans CJK, SIL Open
Font Licence 1.1), never from the system:

* matplotlib: :func:`register_matplotlib` adds the font file to matplotlib's font list
  and puts :data:`FAMILY` first in ``font.sans-serif``;
* WeasyPrint and browsers: :func:`font_face_css` is an ``@font-face`` rule that points
  at the file, under the family name the stylesheets already use, so a system copy of
  the font is not needed (and, where one exists, the bundled file still wins);
* :func:`missing_glyphs` and :func:`raise_for_missing_glyphs` check text against the
  font's character map before rendering, so a character the font lacks stops the run
  with one message instead of thousands of warnings and boxes in the output.
"""

from __future__ import annotations

import functools
import multiprocessing.util
import os
import shutil
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from citycheckup.errors import OutputError

__all__ = [
    "FALLBACK",
    "FAMILY",
    "FONT_CREDIT",
    "advance_em",
    "fallback_path",
    "font_face_css",
    "font_path",
    "missing_glyphs",
    "raise_for_missing_glyphs",
    "register_matplotlib",
]

#: Family name used in CSS, SVG and matplotlib (the simplified-Chinese face of the collection).
FAMILY = "Noto Sans CJK SC"
#: Fallback for the few symbols the CJK font lacks (subscripts such as the ₂ of CO₂): DejaVu Sans,
#: which matplotlib ships (its licence is in matplotlib's LICENSE_DEJAVU).
FALLBACK = "DejaVu Sans"
FONT_CREDIT = "Noto Sans CJK (SIL Open Font License 1.1), from the PyPI package noto-cjk-sans-otc"
_PACKAGE = "noto_cjk_sans_otc"
# Characters that never need a glyph (layout and control characters).
_IGNORED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Zs"}


@functools.lru_cache(maxsize=1)
def font_path() -> Path:
    """Path of the bundled font collection (``NotoSansCJK-Regular.ttc``).

    Raises
    ------
    OutputError
        When the font package is not installed (it comes with the ``report`` and
        ``spatial`` extras).
    """
    try:
        import noto_cjk_sans_otc
    except ImportError as exc:  # pragma: no cover - the extras install it
        raise OutputError(
            "the CJK font package is not installed, so Chinese text cannot be rendered; "
            "install citycheckup with its report extra: pip install 'citycheckup[report]'"
        ) from exc
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    if not path.is_file():  # pragma: no cover - a broken installation
        raise OutputError(f"the CJK font file {path} is missing; reinstall noto-cjk-sans-otc")
    return path


def fallback_path() -> Path | None:
    """DejaVu Sans from matplotlib's data folder, when matplotlib is installed."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - the extras install it
        return None
    p = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return p if p.is_file() else None


@functools.lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    """Code points the bundled simplified-Chinese face (and the fallback) can draw.

    Read with FreeType through matplotlib's ``ft2font`` (about 0.05 s); fontTools, which parses
    the whole 20 MB collection's tables in Python (about 0.7 s on a quiet machine, a third of a
    spatial run's map time), is used only when matplotlib is missing.
    """
    try:
        import matplotlib.ft2font  # noqa: F401
    except ImportError:  # pragma: no cover - the extras install matplotlib
        return _cmap_fonttools()
    return frozenset().union(*(has for _, has in _faces()))


@functools.lru_cache(maxsize=1)
def _face() -> Any:
    """The bundled simplified-Chinese face, opened with FreeType (matplotlib's ``ft2font``)."""
    from matplotlib.ft2font import FT2Font

    path = str(font_path())
    first = FT2Font(path, face_index=0)
    if first.family_name != FAMILY:
        for i in range(1, int(getattr(first, "num_faces", 1) or 1)):
            face = FT2Font(path, face_index=i)
            if face.family_name == FAMILY:
                return face
    return first  # the SC face, or the first one when the collection has none by that name


_FACE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _faces() -> list[tuple[Any, frozenset[int]]]:
    """The bundled face and the fallback (DejaVu Sans), each with the code points it has."""
    from matplotlib.ft2font import FT2Font

    faces = [_face()]
    fb = fallback_path()
    if fb is not None:
        faces.append(FT2Font(str(fb)))
    return [(f, frozenset(f.get_charmap())) for f in faces]


@functools.lru_cache(maxsize=8192)
def advance_em(ch: str) -> float:
    """How far the text advances after the character ``ch``, in ems (1.0 for a CJK character).

    From the bundled face, or from the fallback for the symbols it lacks (the ₂ of CO₂), as
    WeasyPrint sets them; a character in neither is estimated (1 em if East Asian wide, else 0.6).
    """
    from matplotlib.ft2font import LoadFlags

    for face, has in _faces():
        if ord(ch) in has:
            with _FACE_LOCK:  # a FreeType face is not safe to use from two threads at once
                glyph = face.load_char(ord(ch), flags=LoadFlags.NO_SCALE)
                return float(glyph.horiAdvance) / float(face.units_per_EM)
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def _cmap_fonttools() -> frozenset[int]:  # pragma: no cover - used without matplotlib only
    """:func:`_cmap` with fontTools (pure Python, slower)."""
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(font_path()), lazy=True)
    try:
        cmap: set[int] = set(coll.fonts[0].getBestCmap())
        for font in coll.fonts:
            names = {n.toUnicode() for n in font["name"].names if n.nameID in (1, 16)}
            if FAMILY in names:
                cmap = set(font.getBestCmap())
                break
    finally:
        coll.close()
    return frozenset(cmap)


def missing_glyphs(texts: str | Iterable[str]) -> list[str]:
    """Characters of ``texts`` that the bundled font cannot draw (sorted, unique).

    Examples
    --------
    >>> missing_glyphs("城市体检 Check-up 2025 ≥ 80 %")
    []
    """
    if isinstance(texts, str):
        texts = [texts]
    cmap = _cmap()
    missing = {
        ch
        for t in texts
        for ch in set(t)
        if ord(ch) not in cmap and unicodedata.category(ch) not in _IGNORED_CATEGORIES
    }
    return sorted(missing)


def raise_for_missing_glyphs(texts: str | Iterable[str], *, what: str) -> None:
    """Raise one :class:`OutputError` naming every character the font lacks.

    Parameters
    ----------
    texts
        The text to be rendered.
    what
        What is being rendered (for the message), e.g. ``"report 北京市.pdf"``.
    """
    missing = missing_glyphs(texts)
    if missing:
        shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing[:20])
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        raise OutputError(
            f"{what}: the font {FAMILY} has no glyph for {shown}{more}; these characters would print "
            "as boxes. Replace them in the input (names, notes) or report the character so the font "
            "can be extended."
        )


@functools.lru_cache(maxsize=1)
def register_matplotlib() -> str:
    """Make matplotlib draw with the bundled CJK font; returns the family name.

    Idempotent. Sets ``font.sans-serif`` to ``[FAMILY, "DejaVu Sans"]`` and
    ``axes.unicode_minus = False`` (the CJK font has no U+2212 in every face).
    """
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FAMILY


#: One WeasyPrint font configuration per thread and process (see :func:`weasyprint_fonts`).
_WEASYPRINT = threading.local()


def weasyprint_fonts(extra_css: str = "") -> tuple[Any, Any]:
    """WeasyPrint's font configuration and a stylesheet binding the bundled fonts (plus ``extra_css``).

    The configuration is made once per thread and process and then reused: making one costs
    about 0.05 s (Fontconfig is initialised and the 19 MB font collection copied to a
    temporary folder), a twentieth of a city report's PDF. Pango font maps are not safe to share
    between threads, and a forked process makes its own. On a machine without system fonts
    WeasyPrint warns "No fonts configured in FontConfig" when the configuration is made; the
    bundled fonts are used all the same, so the warning is not passed on.
    """
    import warnings

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No fonts configured in FontConfig")
        # by process: a forked child makes its own, and keeps the one it inherited referenced,
        # since dropping it would delete the parent's temporary font folder (its __del__)
        made = _WEASYPRINT.__dict__.setdefault("by_pid", {})
        fonts = made.get(os.getpid())
        if fonts is None:
            fonts = made[os.getpid()] = FontConfiguration()
            # its temporary folder (a copy of the font) goes when the process ends, a
            # multiprocessing worker included (those end without running __del__)
            multiprocessing.util.Finalize(fonts, _remove_folder, args=(fonts,), exitpriority=0)
        # the @font-face rules find their font already added: parsing them again is cheap
        css = weasyprint.CSS(string=font_face_css() + extra_css, font_config=fonts)
    return fonts, css


def _remove_folder(fonts: Any) -> None:
    """Delete a WeasyPrint font configuration's temporary folder (what its ``__del__`` does)."""
    folder = getattr(fonts, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def font_face_css() -> str:
    """``@font-face`` rules binding :data:`FAMILY` (and :data:`FALLBACK`) to the bundled files (for WeasyPrint).

    Also sets the page's font stack to the two, so symbols the CJK font lacks come from the fallback.
    """
    css = f"@font-face {{ font-family: '{FAMILY}'; src: url('{font_path().as_uri()}'); }}"
    fb = fallback_path()
    if fb is not None:
        css += f" @font-face {{ font-family: '{FALLBACK}'; src: url('{fb.as_uri()}'); }}"
        css += f" html {{ font-family: '{FAMILY}', '{FALLBACK}', sans-serif; }}"
    return css
