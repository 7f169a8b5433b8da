"""Checks of an uploaded data file before it is read: size, compression ratio and cell
count, so that a small file cannot make the server decompress or parse gigabytes.

An ``.xlsx`` is a ZIP of XML parts: a 600 KB file can hold millions of identical cells
(a decompression bomb). :func:`inspect_upload` reads the ZIP directory, refuses members
whose declared or actual compression ratio or size is implausible, and streams the
worksheets once — without parsing them — counting cells, stopping at the first limit
passed. A Parquet file declares its rows, columns and uncompressed size in its footer,
which is read without the data.
"""

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["UploadLimits", "UnsafeUpload", "inspect_upload"]


class UnsafeUpload(ValueError):
    """An upload passed one of the :class:`UploadLimits`; the message says which and why."""


@dataclass(frozen=True)
class UploadLimits:
    """Limits of an uploaded table (defaults fit a check-up panel of several hundred
    cities × 25 years × 200 columns several times over)."""

    max_cells: int = 2_000_000
    max_uncompressed: int = 200 * 1024 * 1024
    max_ratio: float = 100.0
    max_members: int = 1000


_CHUNK = 1 << 20


def inspect_upload(path: Path, suffix: str, limits: UploadLimits = UploadLimits()) -> None:
    """Refuse an upload that would take far more memory or time to read than its size says.

    Raises
    ------
    UnsafeUpload
        Naming the limit, the value found and what to do.
    """
    if suffix == ".xlsx":
        _inspect_xlsx(path, limits)
    elif suffix == ".parquet":
        _inspect_parquet(path, limits)


def _inspect_xlsx(path: Path, lim: UploadLimits) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeUpload(f"not an .xlsx workbook (not a ZIP archive: {exc})") from None
    with zf:
        members = zf.infolist()
        if len(members) > lim.max_members:
            raise UnsafeUpload(
                f"the workbook has {len(members)} parts; at most {lim.max_members} are accepted"
            )
        declared = sum(m.file_size for m in members)
        if declared > lim.max_uncompressed:
            raise UnsafeUpload(
                f"the workbook unpacks to {declared // 2**20} MiB; at most "
                f"{lim.max_uncompressed // 2**20} MiB are accepted — split the data"
            )
        total = cells = 0
        for m in members:
            if m.file_size > _CHUNK and m.file_size > lim.max_ratio * max(m.compress_size, 1):
                raise UnsafeUpload(
                    f"part {m.filename[:80]} is compressed {m.file_size / max(m.compress_size, 1):.0f}"
                    f":1 (at most {lim.max_ratio:.0f}:1 is accepted): a decompression bomb, "
                    "or a sheet of repeated filler; save the workbook again with only the data"
                )
            sheet = m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")
            size, tail = 0, b""
            try:
                fh = zf.open(m)  # actual sizes: the directory may lie
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise UnsafeUpload(f"part {m.filename[:80]} cannot be read ({exc})") from None
            with fh:
                while chunk := _read(fh, m.filename):
                    size += len(chunk)
                    total += len(chunk)
                    if size > _CHUNK and size > lim.max_ratio * max(m.compress_size, 1):
                        raise UnsafeUpload(
                            f"part {m.filename[:80]} unpacks to more than {lim.max_ratio:.0f} "
                            "times its compressed size: a decompression bomb"
                        )
                    if total > lim.max_uncompressed:
                        raise UnsafeUpload(
                            f"the workbook unpacks to more than {lim.max_uncompressed // 2**20} "
                            "MiB — split the data"
                        )
                    if sheet:
                        text = tail + chunk
                        cells += (
                            text.count(b"<c ")
                            + text.count(b"<c>")
                            - (tail.count(b"<c ") + tail.count(b"<c>"))
                        )
                        tail = chunk[-3:]
                        if cells > lim.max_cells:
                            raise UnsafeUpload(
                                f"the workbook has more than {lim.max_cells:,} cells; split the "
                                "data (by year or region) or upload CSV/Parquet"
                            )


def _read(fh: IO[bytes], name: str) -> bytes:
    try:
        return fh.read(_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise UnsafeUpload(f"part {name[:80]} is damaged ({exc})") from None


def _inspect_parquet(path: Path, lim: UploadLimits) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several types for a damaged footer
        raise UnsafeUpload(f"not a readable Parquet file ({type(exc).__name__})") from None
    cells = meta.num_rows * meta.num_columns
    if cells > lim.max_cells:
        raise UnsafeUpload(
            f"the Parquet file has {meta.num_rows:,} rows × {meta.num_columns} columns = "
            f"{cells:,} cells; at most {lim.max_cells:,} are accepted — split the data"
        )
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > lim.max_uncompressed:
        raise UnsafeUpload(
            f"the Parquet file unpacks to {size // 2**20} MiB; at most "
            f"{lim.max_uncompressed // 2**20} MiB are accepted — split the data"
        )
