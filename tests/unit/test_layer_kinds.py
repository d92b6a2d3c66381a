"""Layer kinds are pluggable: a new kind registers itself and generic code needs no change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from psygnal import evented

from twinscape.io.formats import classify_path
from twinscape.io.kinds import (
    LayerData,
    LayerKind,
    kind_for_path,
    kind_named,
    kind_of,
    kinds,
    register_kind,
    unregister_kind,
)
from twinscape.io.loading import open_data_files, open_project
from twinscape.io.project_file import load_project, save_project
from twinscape.model import NoReaderError, ProjectFileError
from twinscape.model.buildings import BuildingsLayer
from twinscape.model.layers import Layer
from twinscape.model.terrain import TerrainLayer


@evented
@dataclass(kw_only=True, eq=False)
class MarkerLayer(Layer):
    """A fake kind: points listed one per line as ``x y`` in a ``.mark`` file."""

    kind: ClassVar[str] = "marker"
    data_fields: ClassVar[tuple[str, ...]] = ("points",)
    source: Path
    size: float = 5.0
    points: list[tuple[float, float]] | None = None

    @property
    def loaded(self) -> bool:
        return self.points is not None

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        if not self.points:
            return None
        xs, ys = zip(*self.points)
        return min(xs), min(ys), max(xs), max(ys)


def _read(layer: Layer, context: Any) -> LayerData:
    assert isinstance(layer, MarkerLayer)
    points = [tuple(map(float, line.split())) for line in layer.source.read_text().splitlines()]
    return LayerData(crs=context.project_crs or "EPSG:32636", values={"points": points})


@pytest.fixture
def marker_kind() -> Iterator[LayerKind]:
    """The fake kind, registered in a few lines, removed again after the test."""
    kind = register_kind(
        LayerKind(
            name="marker",
            layer_type=MarkerLayer,
            title="Markers",
            file_types="Marker lists",
            extensions=(".mark",),
            sniff=lambda path: 1.0 if path.suffix == ".mark" else 0.0,
            new_layer=lambda path, crs: MarkerLayer(name=path.stem, source=path),
            read=_read,
            table_keys=("source", "size"),
            from_table=lambda table, folder, common: MarkerLayer(
                **{"name": "markers", **common},
                source=folder / table.string("source"),
                size=table.number("size", 5.0, low=0.1),
            ),
            to_table=lambda layer, folder: {"source": layer.source.name, "size": layer.size},
        )
    )
    yield kind
    unregister_kind("marker")


def test_builtin_kinds_are_registered_in_order() -> None:
    assert [kind.name for kind in kinds()][:2] == ["terrain", "buildings"]
    assert kind_of(TerrainLayer) is kind_named("terrain")
    assert kind_of(BuildingsLayer(name="b", source=Path("/b.gpkg"))).name == "buildings"


def test_files_are_recognised_by_kind(tmp_path: Path) -> None:
    assert classify_path(tmp_path / "dem.tif") == "terrain"
    assert classify_path(tmp_path / "a.toml") == "project"
    assert classify_path(tmp_path / "town.gpkg") == "buildings"
    city = tmp_path / "zurich.json"
    city.write_text('{"type": "CityJSON", "version": "2.0", "CityObjects": {}, "vertices": []}')
    geojson = tmp_path / "footprints.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}')
    assert kind_for_path(city).name == "buildings" and kind_for_path(geojson).name == "buildings"
    with pytest.raises(NoReaderError, match=r"notes\.txt: not a file Twinscape can open"):
        classify_path(tmp_path / "notes.txt")


def test_an_unknown_kind_in_a_project_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('schema_version = 1\n[project]\nname = "x"\n[[layers]]\nkind = "lidar"\n')
    with pytest.raises(ProjectFileError, match=r"\[layers\[0\]\.kind\] unknown layer kind 'lidar'"):
        load_project(path)


def test_a_new_kind_needs_no_change_in_generic_code(tmp_path: Path, marker_kind: LayerKind) -> None:
    data = tmp_path / "wells.mark"
    data.write_text("700000 3500000\n700100 3500200\n")
    assert classify_path(data) == "marker"
    project, warnings = open_data_files([data])  # the CLI's and the GUI's path
    [layer] = project.layers
    assert isinstance(layer, MarkerLayer) and layer.points == [(700000, 3500000), (700100, 3500200)]
    assert project.crs == "EPSG:32636" and project.origin is not None and warnings == []
    layer.size = 8.0
    saved = save_project(project, tmp_path / "p.toml")
    assert 'kind = "marker"' in saved.read_text() and "size = 8.0" in saved.read_text()
    again, warnings = open_project(saved)
    [reread] = again.layers
    assert isinstance(reread, MarkerLayer) and reread.size == 8.0 and reread.loaded
    assert warnings == []


def test_file_filters_list_only_kinds_read_from_files() -> None:
    from twinscape.io.kinds import data_file_filter

    entries = data_file_filter().split(";;")
    assert entries[0].startswith("All supported data (*.tif")
    assert all(not entry.endswith("()") for entry in entries)
    assert any(entry.startswith("Elevation rasters") for entry in entries)
