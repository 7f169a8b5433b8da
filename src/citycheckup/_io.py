"""Atomic output writing: a failed run leaves no partial output and keeps an earlier good one."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from citycheckup.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["atomic_dir", "atomic_file", "safe_child", "write_csv", "write_text_atomic"]


def safe_child(out_dir: str | os.PathLike[str], *parts: str) -> Path:
    """The path ``out_dir/parts…``, resolved, after checking that it lies under ``out_dir``.

    Use it wherever a name from the data (a unit code, a table or city name) becomes part
    of an output path: ``../``, an absolute part, a symbolic link that points elsewhere
    or a NUL byte would otherwise let the data choose where a file is written.

    Parameters
    ----------
    out_dir
        The output folder (``--out``); it need not exist yet.
    *parts
        Path components below it, e.g. ``f"city_{code}_zh.html"``.

    Returns
    -------
    pathlib.Path
        The resolved path (symbolic links followed), inside the resolved ``out_dir``.

    Raises
    ------
    OutputError
        When a part is empty, absolute or contains a NUL byte, or when the resolved path
        is ``out_dir`` itself or lies outside it.

    Examples
    --------
    >>> safe_child("/tmp/out", "city_110000_zh.html").name
    'city_110000_zh.html'
    >>> safe_child("/tmp/out", "../etc/passwd")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    citycheckup.errors.OutputError: ...
    """
    base = Path(out_dir).resolve()
    for part in parts:
        text = os.fspath(part)
        if not text or "\x00" in text or Path(text).is_absolute():
            raise OutputError(
                f"output name {text!r} is empty, absolute or contains a NUL byte; it would be "
                f"written outside {base}. Fix the name in the input data (e.g. its unit_code)"
            )
    target = base.joinpath(*parts).resolve()
    if target == base or not target.is_relative_to(base):
        raise OutputError(
            f"output name {'/'.join(parts)!r} leads to {target}, outside the output folder "
            f"{base}; refusing to write there. Fix the name in the input data (e.g. a unit_code "
            "with '/' or '..') or remove the symbolic link"
        )
    return target


@contextlib.contextmanager
def atomic_file(
    path: str | os.PathLike[str], mode: str = "w", **kwargs: object
) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    try:
        with open(tmp, mode, **kwargs) as fh:  # type: ignore[call-overload]
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path, "w", encoding="utf-8") as fh:
        fh.write(text)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success it replaces ``path`` as a whole.

    The previous ``path`` is kept until the new one is complete, so a failed run
    leaves the earlier good output untouched. Entries of the old ``path`` named in
    ``keep`` (e.g. a ``spatial`` sub-folder written by another job) are carried over
    unless the run wrote its own.
    """
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs are ordinary folders
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists() and not target.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"output path {target} exists and is not a directory; choose another --out"
        )
    old = None
    if target.exists():
        # keep files of earlier runs that this run did not produce (e.g. spatial/ next to a run)
        for item in target.iterdir():
            if item.name in keep and not (tmp / item.name).exists():
                dest = tmp / item.name
                if item.is_dir():
                    shutil.copytree(item, dest)
                else:
                    shutil.copy2(item, dest)
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_csv(df: object, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame as UTF-8 CSV with pyarrow's C++ writer (about ten times faster than pandas).

    Text is quoted, missing values are empty cells, numbers keep full precision; no index.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frame = df if isinstance(df, pd.DataFrame) else pd.DataFrame(df)  # type: ignore[call-overload]
    mixed = {}
    for c in frame.columns:
        col = frame[c]
        if col.dtype == object:
            kinds = {type(v) for v in col.dropna()}
            if (
                str in kinds and len(kinds) > 1
            ):  # text and numbers: all as text, as pandas writes them
                mixed[c] = col.map(
                    lambda v: v if v is None or isinstance(v, str) or v != v else str(v)
                )
    if mixed:
        frame = frame.assign(**mixed)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, str(path), pacsv.WriteOptions(quoting_style="needed"))
    return Path(path)
