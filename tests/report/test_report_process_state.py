"""Process state the city reports rely on for speed: the garbage collector while a batch is
written, and one WeasyPrint font configuration per thread and process.

- ``city_report._batch_gc`` freezes the objects made before the batch and raises the first
  collection threshold to ``GC_THRESHOLD``, and restores both afterwards, also when a report
  fails;
- ``_fonts.weasyprint_fonts`` makes one ``FontConfiguration`` per thread and process, keeps the
  one a forked child inherited (dropping it would delete the parent's font folder), and removes
  its own temporary folder when the process ends, a multiprocessing worker included.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from citycheckup.report import city_report


@pytest.fixture
def gc_state() -> object:
    old = gc.get_threshold()
    yield
    gc.set_threshold(*old)
    gc.unfreeze()


@pytest.mark.usefixtures("gc_state")
def test_batch_gc_freezes_raises_the_threshold_and_restores_both() -> None:
    gc.set_threshold(700, 10, 10)
    frozen = gc.get_freeze_count()
    marker = [object()]  # made before the block: frozen inside it
    with city_report._batch_gc():
        assert gc.get_threshold() == (city_report.GC_THRESHOLD, 10, 10) == (50_000, 10, 10)
        assert gc.get_freeze_count() > frozen
        assert gc.is_tracked(marker)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("gc_state")
@pytest.mark.parametrize(
    ("first", "inside"), [(49_999, 50_000), (50_000, 50_000), (50_001, 50_001), (0, 0), (1, 50_000)]
)
def test_batch_gc_never_lowers_a_higher_threshold(first: int, inside: int) -> None:
    gc.set_threshold(first, 3, 4)
    with city_report._batch_gc():
        assert gc.get_threshold() == (inside, 3, 4)
    assert gc.get_threshold() == (first, 3, 4)


@pytest.mark.usefixtures("gc_state")
def test_batch_gc_restores_after_a_failure() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError, match="report failed"), city_report._batch_gc():
        raise RuntimeError("report failed")
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_render_reports_leaves_the_collector_as_it_found_it(
    small_run: Path, tmp_path: Path, gc_state: object
) -> None:
    gc.set_threshold(700, 10, 10)
    city_report.render_reports(
        small_run, tmp_path, units=["130600"], overview=False, formats=("html",), jobs=1
    )
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_import_writers_imports_what_the_formats_need(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("weasyprint", "docx"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    city_report._import_writers(("html",))
    assert "weasyprint" not in sys.modules and "docx" not in sys.modules
    city_report._import_writers(("pdf",))
    assert "weasyprint" in sys.modules and "docx" not in sys.modules
    city_report._import_writers(("docx",))
    assert "docx" in sys.modules


# ------------------------------------------------------------------------- font configuration
def test_one_font_configuration_per_thread() -> None:
    from citycheckup._fonts import weasyprint_fonts

    a, css_a = weasyprint_fonts()
    b, css_b = weasyprint_fonts("p { color: red }")
    assert a is b and css_a is not css_b
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(weasyprint_fonts()[0]))
    t.start()
    t.join()
    assert other and other[0] is not a


def _child_config(q: multiprocessing.queues.Queue) -> None:  # type: ignore[name-defined]
    from citycheckup._fonts import weasyprint_fonts
    from citycheckup.report.city_report import write_pdf

    fonts, _ = weasyprint_fonts()
    out = Path(os.environ["CHILD_PDF_DIR"]) / f"child_{os.getpid()}.pdf"
    write_pdf("<p>中文 child</p>", out)
    q.put((id(fonts), str(fonts._folder), out.stat().st_size))


def test_a_forked_worker_makes_its_own_and_removes_only_its_own_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citycheckup._fonts import weasyprint_fonts
    from citycheckup.report.city_report import write_pdf

    monkeypatch.setenv("CHILD_PDF_DIR", str(tmp_path))
    parent, _ = weasyprint_fonts()
    folder = Path(parent._folder)
    assert folder.is_dir()
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_config, args=(q,))
    p.start()
    fid, child_folder, size = q.get(timeout=120)
    p.join(timeout=120)
    assert p.exitcode == 0
    assert child_folder != str(folder) and size > 1000
    assert not Path(child_folder).exists()  # the worker's own copy went with it
    assert folder.is_dir()  # the parent's is still there, and still works
    write_pdf("<p>中文 parent</p>", tmp_path / "parent.pdf")
    assert weasyprint_fonts()[0] is parent


def test_the_folder_goes_when_a_plain_process_ends(tmp_path: Path) -> None:
    code = (
        "from citycheckup._fonts import weasyprint_fonts\n"
        "f, _ = weasyprint_fonts()\n"
        "print(f._folder)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    folder = Path(r.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("weasyprint-")
    assert not folder.exists()


def test_remove_folder_deletes_the_configurations_folder_only(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from citycheckup._fonts import _remove_folder

    folder = tmp_path / "weasyprint-x"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "font").write_bytes(b"x")
    keep = tmp_path / "keep"
    keep.mkdir()
    _remove_folder(SimpleNamespace(_folder=folder))
    assert not folder.exists() and keep.is_dir()
    # already gone, never made, or no folder at all: nothing to do and no error
    _remove_folder(SimpleNamespace(_folder=folder))
    _remove_folder(SimpleNamespace(_folder=None))
    _remove_folder(object())
