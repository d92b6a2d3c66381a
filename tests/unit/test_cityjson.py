"""io/cityjson.py: the Stadt Zürich LoD2 model (CityJSON 2.0) and its 1.1, 1.0 and
CityJSONSeq forms, checked against the raw JSON and pyproj rather than the reader itself."""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer

import twinscape.io.cityjson as cityjson_module
from twinscape.io.buildings_read import BuildingsRead
from twinscape.io.cityjson import CITYJSON_EXTENSIONS, read_cityjson, sniff_cityjson
from twinscape.io.cityjson_crs import reference_system_crs
from twinscape.model.buildings import (
    BUILDING_COLUMNS,
    SURFACE_GROUND,
    SURFACE_ROOF,
    SURFACE_WALL,
)
from twinscape.model.errors import CRSError, LoadCancelled, MissingCRSError, ReaderError

ZURICH = Path(__file__).resolve().parents[1] / "data" / "cityjson_zurich_subset_lod2.city.json"
UTM32 = "EPSG:32632"


# --- helpers that work on the raw JSON, independently of the reader --------------------------


@pytest.fixture(scope="module")
def zurich_doc() -> dict[str, Any]:
    with open(ZURICH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def doc(zurich_doc: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the Zürich document to modify."""
    return copy.deepcopy(zurich_doc)


@pytest.fixture(scope="module")
def zurich_utm() -> BuildingsRead:
    return read_cityjson(ZURICH, target_crs=None)


@pytest.fixture(scope="module")
def zurich_lv95() -> BuildingsRead:
    return read_cityjson(ZURICH, target_crs="EPSG:2056")


def real_vertices(doc: dict[str, Any]) -> np.ndarray:
    transform = doc["transform"]
    return np.asarray(doc["vertices"], dtype=float) * transform["scale"] + transform["translate"]


def building_ids(doc: dict[str, Any]) -> list[str]:
    return [oid for oid, obj in doc["CityObjects"].items() if obj["type"] == "Building"]


def ints(value: Any) -> Iterator[int]:
    if isinstance(value, list):
        for item in value:
            yield from ints(item)
    else:
        yield value


def parts_of(doc: dict[str, Any], bid: str) -> list[str]:
    return [bid] + doc["CityObjects"][bid].get("children", [])


def vertex_indices(doc: dict[str, Any], bid: str) -> list[int]:
    objects = doc["CityObjects"]
    return sorted({i for oid in parts_of(doc, bid) for g in objects[oid].get("geometry", [])
                   for i in ints(g["boundaries"])})


def semantic_rings(doc: dict[str, Any], bid: str, kind: str) -> list[list[list[int]]]:
    """Surfaces (lists of rings) of one semantic type in a building's parts (MultiSurface)."""
    out = []
    for oid in parts_of(doc, bid):
        for geom in doc["CityObjects"][oid].get("geometry", []):
            surfaces, values = geom["semantics"]["surfaces"], geom["semantics"]["values"]
            out += [rings for rings, v in zip(geom["boundaries"], values)
                    if v is not None and surfaces[v]["type"] == kind]
    return out


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def remap(value: Any, mapping: dict[int, int]) -> Any:
    if isinstance(value, list):
        return [remap(item, mapping) for item in value]
    return mapping[value]


def to_seq(doc: dict[str, Any]) -> str:
    """CityJSONSeq text: a header line, then one CityJSONFeature per Building with its parts
    and its own renumbered vertices (as cjio export --jsonl writes it)."""
    header = {key: doc[key] for key in ("type", "version", "transform", "metadata")}
    lines = [json.dumps({**header, "CityObjects": {}, "vertices": []})]
    for bid in building_ids(doc):
        used = vertex_indices(doc, bid)
        mapping = {old: new for new, old in enumerate(used)}
        objects = {}
        for oid in parts_of(doc, bid):
            obj = copy.deepcopy(doc["CityObjects"][oid])
            for geom in obj.get("geometry", []):
                geom["boundaries"] = remap(geom["boundaries"], mapping)
            objects[oid] = obj
        vertices = [doc["vertices"][i] for i in used]
        lines.append(json.dumps({"type": "CityJSONFeature", "id": bid,
                                 "CityObjects": objects, "vertices": vertices}))
    return "\n".join(lines) + "\n"


def to_v10(doc: dict[str, Any]) -> dict[str, Any]:
    """The document in CityJSON 1.0 form: no transform (real coordinates), numeric lod,
    the URN form of the CRS."""
    out = copy.deepcopy(doc)
    out["version"] = "1.0"
    out["vertices"] = np.round(real_vertices(doc), 3).tolist()
    del out["transform"]
    out["metadata"]["referenceSystem"] = "urn:ogc:def:crs:EPSG::2056"
    for obj in out["CityObjects"].values():
        for geom in obj.get("geometry", []):
            geom["lod"] = int(float(geom["lod"]))
    return out


def triangle_normals(mesh: Any) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals and areas of the mesh's triangles."""
    a, b, c = (mesh.vertices[mesh.triangles[:, k]] for k in range(3))
    cross = np.cross(b - a, c - a)
    area = np.linalg.norm(cross, axis=1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return cross / (2 * area[:, None]), area


def one_line(err: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    return message


def same_buildings(a: BuildingsRead, b: BuildingsRead) -> None:
    assert list(a.mesh.table["building_id"]) == list(b.mesh.table["building_id"])
    np.testing.assert_allclose(a.mesh.vertices, b.mesh.vertices, atol=1e-6)
    np.testing.assert_array_equal(a.mesh.triangles, b.mesh.triangles)
    np.testing.assert_array_equal(a.mesh.triangle_surface, b.mesh.triangle_surface)
    np.testing.assert_array_equal(a.mesh.triangle_building, b.mesh.triangle_building)
    np.testing.assert_allclose(a.mesh.own_base, b.mesh.own_base, atol=1e-6)
    np.testing.assert_allclose(a.mesh.table["height"], b.mesh.table["height"], atol=1e-6)


# --- the real model -------------------------------------------------------------------------


def test_extensions_and_sniffing(tmp_path: Path, doc: dict[str, Any]) -> None:
    assert CITYJSON_EXTENSIONS == (".city.json", ".city.jsonl", ".jsonl")
    assert sniff_cityjson(ZURICH) == 1.0
    seq = tmp_path / "z.city.jsonl"
    seq.write_text(to_seq(doc))
    assert sniff_cityjson(seq) == 1.0
    geojson = write(tmp_path / "f.json", {"type": "FeatureCollection", "features": []})
    assert sniff_cityjson(geojson) == 0.0
    garbage = tmp_path / "g.bin"
    garbage.write_bytes(np.random.default_rng(1).bytes(5000))
    assert sniff_cityjson(garbage) == 0.0
    assert sniff_cityjson(tmp_path) == 0.0
    # by name: the CityJSON reader is the one to explain what is wrong with these
    named = tmp_path / "g.city.json"
    named.write_bytes(garbage.read_bytes())
    assert sniff_cityjson(named) == 0.9
    assert sniff_cityjson(tmp_path / "missing.city.jsonl") == 0.9
    assert sniff_cityjson(tmp_path / "missing.jsonl") == 0.5
    padding = {"type": "Building", "attributes": {"note": "x" * 5000}}
    late = write(tmp_path / "late.json", {"CityObjects": {"b": padding}, "type": "CityJSON"})
    assert sniff_cityjson(late) == 0.5


def test_one_row_per_building_with_its_attributes(
    zurich_utm: BuildingsRead, zurich_doc: dict[str, Any]
) -> None:
    expected = building_ids(zurich_doc)
    assert len(expected) == 49
    mesh, table = zurich_utm.mesh, zurich_utm.mesh.table
    assert mesh.count == 49 and sorted(table["building_id"]) == sorted(expected)
    assert zurich_utm.source_crs == "EPSG:2056" and zurich_utm.target_crs == UTM32
    assert tuple(table.columns[:4]) == BUILDING_COLUMNS
    assert list(table["building_id"]) == expected  # in file order
    for row in table.to_dict("records"):
        attributes = zurich_doc["CityObjects"][row["building_id"]]["attributes"]
        assert {key: row[key] for key in attributes} == attributes
    assert set(table["height_source"]) == {"geometry"}
    report = zurich_utm.report
    assert report.height_sources == {"geometry": 49}
    assert report.dropped == {} and report.repaired == 0 and report.rejected_heights == {}


def test_mesh_follows_the_contract(zurich_utm: BuildingsRead) -> None:
    mesh = zurich_utm.mesh
    assert mesh.vertices.dtype == np.float64 and mesh.vertices.shape[1] == 3
    assert mesh.triangles.dtype == np.int32 and mesh.triangle_building.dtype == np.int32
    assert mesh.triangle_surface.dtype == np.uint8
    assert mesh.triangles.min() >= 0 and mesh.triangles.max() < len(mesh.vertices)
    assert set(np.unique(mesh.triangle_surface)) == {SURFACE_WALL, SURFACE_ROOF, SURFACE_GROUND}
    assert set(np.unique(mesh.triangle_building)) == set(range(49))
    owner = mesh.vertex_building
    assert (owner >= 0).all()  # no unused vertices
    assert (owner[mesh.triangles] == mesh.triangle_building[:, None]).all()  # one owner each
    assert mesh.vertices[:, 2].min() == 0.0
    for i in range(mesh.count):
        z = mesh.vertices[owner == i, 2]
        assert z.min() == 0.0
        assert mesh.table["height"][i] == pytest.approx(z.max())
        footprint = mesh.footprints[i]
        assert footprint.geom_type in ("Polygon", "MultiPolygon") and footprint.is_valid
        assert mesh.table["footprint_area"][i] == pytest.approx(footprint.area)
    assert mesh.own_base.dtype == np.float64 and mesh.own_base.shape == (49,)


def test_vertices_are_reprojected_as_pyproj_does(
    zurich_utm: BuildingsRead, zurich_doc: dict[str, Any]
) -> None:
    mesh, vertices = zurich_utm.mesh, real_vertices(zurich_doc)
    to_utm = Transformer.from_crs("EPSG:2056", UTM32, always_xy=True)
    owner = mesh.vertex_building
    for i, bid in enumerate(mesh.table["building_id"]):
        used = vertices[vertex_indices(zurich_doc, bid)]
        base = used[:, 2].min()
        assert mesh.own_base[i] == pytest.approx(base, abs=1e-9)
        assert mesh.table["height"][i] == pytest.approx(used[:, 2].max() - base, abs=1e-9)
        raw = used[len(used) // 2]
        x, y = to_utm.transform(raw[0], raw[1])
        mine = mesh.vertices[owner == i]
        distance = np.linalg.norm(mine - [x, y, raw[2] - base], axis=1).min()
        assert distance < 1e-6
        assert len(mine) == len(used)  # every vertex of the building, each once


def test_without_reprojection_the_vertices_are_the_file_s(
    zurich_lv95: BuildingsRead, zurich_doc: dict[str, Any]
) -> None:
    mesh = zurich_lv95.mesh
    assert zurich_lv95.target_crs == "EPSG:2056"
    world = mesh.vertices + np.c_[np.zeros((len(mesh.vertices), 2)),
                                  mesh.own_base[mesh.vertex_building]]
    raw = real_vertices(zurich_doc)
    ours = {tuple(v) for v in np.round(world, 6)}
    assert ours == {tuple(v) for v in np.round(raw, 6)}


def test_roofs_face_up_walls_stand_grounds_face_down(zurich_utm: BuildingsRead) -> None:
    mesh = zurich_utm.mesh
    normal, area = triangle_normals(mesh)
    real = area > 0.01  # m²: slivers of slightly non-planar roof polygons have noisy normals
    kind = mesh.triangle_surface
    assert (normal[real & (kind == SURFACE_ROOF), 2] > 0).all()
    roof = kind == SURFACE_ROOF
    assert area[roof & (normal[:, 2] <= 0)].sum() < 1e-5 * area[roof].sum()
    big = area > 0.5  # m²: small wall triangles of mm-rounded vertices lean a few degrees
    assert (np.abs(normal[big & (kind == SURFACE_WALL), 2]) < 0.02).all()
    wall = kind == SURFACE_WALL
    assert np.average(np.abs(normal[wall, 2]), weights=area[wall]) < 1e-3
    assert (normal[real & (kind == SURFACE_GROUND), 2] < -0.95).all()  # some follow a slope
    # outward-facing triangles enclose a positive volume (divergence theorem), about
    # footprint x height less what the roof shapes cut off
    owner = mesh.vertex_building
    centre = np.array([mesh.vertices[owner == i].mean(axis=0) for i in range(mesh.count)])
    local = mesh.vertices - centre[owner]
    a, b, c = (local[mesh.triangles[:, k]] for k in range(3))
    volume = np.bincount(mesh.triangle_building,
                         weights=np.einsum("ij,ij->i", a, np.cross(b, c)) / 6)
    box = mesh.table["footprint_area"] * mesh.table["height"]
    assert (volume > 0.3 * box).all() and (volume < 1.2 * box).all()


def test_roofs_cover_the_ground_plan(
    zurich_lv95: BuildingsRead, zurich_doc: dict[str, Any]
) -> None:
    """The roofs' plan covers the GroundSurfaces (in LV95 to compare areas with the file).

    This roof model has eaves: roofs overhang the walls (about 14 % more roof plan than
    ground plan in this subset) and 112 BuildingParts are eaves only (no GroundSurface).
    """
    mesh, vertices = zurich_lv95.mesh, real_vertices(zurich_doc)
    ground_total = 0.0
    for i, bid in enumerate(mesh.table["building_id"]):
        grounds = [shapely.Polygon(vertices[r[0]][:, :2], [vertices[h][:, :2] for h in r[1:]])
                   for r in semantic_rings(zurich_doc, bid, "GroundSurface")]
        ground = shapely.union_all(grounds)
        ground_total += ground.area
        assert mesh.footprints[i].symmetric_difference(ground).area < 1e-6 * ground.area + 1e-6
        roofs = (mesh.triangle_building == i) & (mesh.triangle_surface == SURFACE_ROOF)
        plan = shapely.union_all(shapely.polygons(mesh.vertices[mesh.triangles[roofs]][:, :, :2]))
        assert ground.difference(plan).area < 0.005 * ground.area
    normal, area = triangle_normals(mesh)
    roofs = mesh.triangle_surface == SURFACE_ROOF
    roof_plan = float((area * normal[:, 2])[roofs & (area > 0)].sum())
    assert ground_total == pytest.approx(mesh.table["footprint_area"].sum(), rel=1e-9)
    assert 1.0 < roof_plan / ground_total < 1.2


# --- other versions and forms of the same model -------------------------------------------------


def test_version_1_1_gives_the_same_buildings(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    doc["version"] = "1.1"
    same_buildings(read_cityjson(write(tmp_path / "z11.city.json", doc), target_crs=UTM32),
                   zurich_utm)


def test_version_1_0_gives_the_same_buildings(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    result = read_cityjson(write(tmp_path / "z10.json", to_v10(doc)), target_crs=UTM32)
    same_buildings(result, zurich_utm)
    assert result.source_crs == "EPSG:2056"


@pytest.mark.parametrize("name", ["z.city.jsonl", "z.jsonl", "seq_named.json"])
def test_cityjsonseq_gives_the_same_buildings(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead, name: str
) -> None:
    path = tmp_path / name
    path.write_text(to_seq(doc), encoding="utf-8")
    result = read_cityjson(path, target_crs=UTM32)
    ours, theirs = result.mesh, zurich_utm.mesh
    assert list(ours.table["building_id"]) == list(theirs.table["building_id"])
    for i in range(49):  # vertices are renumbered per feature: compare as sets
        mine = np.round(ours.vertices[ours.vertex_building == i], 6)
        other = np.round(theirs.vertices[theirs.vertex_building == i], 6)
        assert {tuple(v) for v in mine} == {tuple(v) for v in other}
        assert (ours.triangle_building == i).sum() == (theirs.triangle_building == i).sum()
    np.testing.assert_allclose(ours.table["footprint_area"], theirs.table["footprint_area"])
    np.testing.assert_allclose(ours.own_base, theirs.own_base)


def test_solids_give_the_same_buildings(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    for obj in doc["CityObjects"].values():
        for geom in obj.get("geometry", []):
            geom["type"] = "Solid"
            geom["boundaries"] = [geom["boundaries"]]
            geom["semantics"]["values"] = [geom["semantics"]["values"]]
    same_buildings(read_cityjson(write(tmp_path / "solid.city.json", doc), target_crs=UTM32),
                   zurich_utm)


def test_without_semantics_surfaces_are_classed_by_their_normal(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    for obj in doc["CityObjects"].values():
        for geom in obj.get("geometry", []):
            del geom["semantics"]
    result = read_cityjson(write(tmp_path / "plain.city.json", doc), target_crs=UTM32)
    np.testing.assert_array_equal(result.mesh.triangles, zurich_utm.mesh.triangles)
    agree = result.mesh.triangle_surface == zurich_utm.mesh.triangle_surface
    assert agree.mean() > 0.99
    ground = zurich_utm.mesh.triangle_surface == SURFACE_GROUND
    assert agree[ground].all()


def test_compound_crs_keeps_heights(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    doc["metadata"]["referenceSystem"] = "urn:ogc:def:crs,crs:EPSG::2056,crs:EPSG::5728"
    result = read_cityjson(write(tmp_path / "compound.city.json", doc), target_crs=UTM32)
    assert result.source_crs == "EPSG:2056+5728"
    same_buildings(result, zurich_utm)


def test_geometry_instances_are_placed(
    tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead
) -> None:
    """One real BuildingPart rewritten as a template placed by a GeometryInstance."""
    pid = next(oid for oid, obj in doc["CityObjects"].items() if obj["type"] == "BuildingPart")
    geom = doc["CityObjects"][pid]["geometry"][0]
    vertices = real_vertices(doc)
    used = sorted(set(ints(geom["boundaries"])))
    anchor = used[0]
    mapping = {old: new for new, old in enumerate(used)}
    template = {**geom, "boundaries": remap(geom["boundaries"], mapping)}
    doc["geometry-templates"] = {
        "templates": [template],
        "vertices-templates": (vertices[used] - vertices[anchor]).tolist(),
    }
    shift = [10.0, 0.0, 0.0]
    matrix = [1, 0, 0, shift[0], 0, 1, 0, shift[1], 0, 0, 1, shift[2], 0, 0, 0, 1]
    doc["CityObjects"][pid]["geometry"] = [
        {"type": "GeometryInstance", "template": 0, "boundaries": [anchor],
         "transformationMatrix": matrix}
    ]
    result = read_cityjson(write(tmp_path / "instance.city.json", doc), target_crs="EPSG:2056")
    plain = read_cityjson(ZURICH, target_crs="EPSG:2056")
    parent = doc["CityObjects"][pid]["parents"][0]
    row = list(result.mesh.table["building_id"]).index(parent)
    owner = result.mesh.vertex_building == row
    placed = {tuple(v) for v in np.round(result.mesh.vertices[owner][:, :2], 3)}
    expected = {tuple(v) for v in np.round(vertices[used][:, :2] + shift[:2], 3)}
    assert expected <= placed  # the instance's vertices, moved 10 m east
    assert result.mesh.count == plain.mesh.count == 49
    assert len(result.mesh.triangles) == len(plain.mesh.triangles)


def test_the_highest_lod_is_drawn(tmp_path: Path, doc: dict[str, Any],
                                  zurich_utm: BuildingsRead) -> None:
    objects = doc["CityObjects"]
    bid = building_ids(doc)[0]
    box = {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2]]]}
    objects[bid]["geometry"] = [box]  # a coarser geometry on the Building: skipped
    first_part = objects[bid]["children"][0]
    objects[first_part]["geometry"].insert(0, dict(box, lod=1.2))  # a part's LoD1: not chosen
    result = read_cityjson(write(tmp_path / "lods.city.json", doc), target_crs=UTM32)
    same_buildings(result, zurich_utm)
    assert result.report.dropped == {}


def test_a_part_with_only_a_lower_lod_is_counted(tmp_path: Path, doc: dict[str, Any]) -> None:
    objects = doc["CityObjects"]
    bid = next(b for b in building_ids(doc) if len(objects[b]["children"]) > 1)
    part = objects[bid]["children"][-1]
    objects[part]["geometry"][0]["lod"] = "1.2"
    result = read_cityjson(write(tmp_path / "lower.city.json", doc), target_crs=UTM32)
    assert result.mesh.count == 49
    assert result.report.dropped == {"part with a lower LoD than LoD2 of its building": 1}


def test_measured_heights_and_nested_attributes(tmp_path: Path, doc: dict[str, Any]) -> None:
    ids = building_ids(doc)
    values = [12.5, "30 m", -3, "tall", 5000]
    for bid, value in zip(ids, values):
        doc["CityObjects"][bid]["attributes"]["measuredHeight"] = value
    doc["CityObjects"][ids[0]]["attributes"]["address"] = {"street": "Bahnhofstrasse", "n": 1}
    doc["CityObjects"][ids[1]]["attributes"]["uses"] = ["shop", "flat"]
    doc["CityObjects"][ids[2]]["attributes"]["height"] = 99  # clashes with a fixed column
    table_read = read_cityjson(write(tmp_path / "h.city.json", doc), target_crs=UTM32)
    table, report = table_read.mesh.table.set_index("building_id"), table_read.report
    assert table.loc[ids[0], "height"] == 12.5 and table.loc[ids[1], "height"] == 30.0
    assert table.loc[ids[0], "height_source"] == "attribute"
    assert report.height_sources == {"attribute": 2, "geometry": 47}
    assert report.rejected_heights == {
        "measuredHeight: negative": 1,
        "measuredHeight: not a number": 1,
        "measuredHeight: over 1000 m": 1,
    }
    assert json.loads(table.loc[ids[0], "address"]) == {"street": "Bahnhofstrasse", "n": 1}
    assert json.loads(table.loc[ids[1], "uses"]) == ["shop", "flat"]
    assert table.loc[ids[2], "attr_height"] == 99
    assert table.loc[ids[2], "height_source"] == "geometry"  # its measuredHeight -3: rejected
    assert "measuredHeight" in table.columns


def test_empty_and_lineal_buildings_are_dropped_and_counted(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    doc["CityObjects"]["empty"] = {"type": "Building", "attributes": {}}
    doc["CityObjects"]["lines"] = {"type": "Building", "geometry": [
        {"type": "MultiLineString", "lod": "1", "boundaries": [[0, 1]]}]}
    doc["CityObjects"]["flat"] = {"type": "Building", "geometry": [
        {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 0, 0]]]}]}
    doc["CityObjects"]["road"] = {"type": "Road", "geometry": []}
    result = read_cityjson(write(tmp_path / "empty.city.json", doc), target_crs=UTM32)
    assert result.mesh.count == 49
    assert result.report.dropped == {
        "no geometry": 1,
        "no surface geometry (MultiLineString)": 1,
        "no surface with any area": 1,
        "not a building (Road)": 1,
    }
    assert "1 dropped: no geometry" in result.report.lines()


def test_progress_and_cancel(zurich_doc: dict[str, Any]) -> None:
    seen: list[float] = []
    read_cityjson(ZURICH, target_crs=UTM32, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3
    calls = iter(range(1000))
    with pytest.raises(LoadCancelled):
        read_cityjson(ZURICH, target_crs=UTM32, cancelled=lambda: next(calls) >= 3)
    with pytest.raises(LoadCancelled):
        read_cityjson(ZURICH, target_crs=UTM32, cancelled=lambda: True)


# --- CRS -------------------------------------------------------------------------------------


def test_missing_crs(tmp_path: Path, doc: dict[str, Any], zurich_utm: BuildingsRead) -> None:
    del doc["metadata"]["referenceSystem"]
    path = write(tmp_path / "nocrs.city.json", doc)
    with pytest.raises(MissingCRSError) as err:
        read_cityjson(path, target_crs=UTM32)
    assert "referenceSystem" in one_line(err, path)
    result = read_cityjson(path, target_crs=UTM32, assume_crs="EPSG:2056")
    assert result.source_crs == "EPSG:2056"
    same_buildings(result, zurich_utm)


def test_bad_crs(tmp_path: Path, doc: dict[str, Any]) -> None:
    doc["metadata"]["referenceSystem"] = "urn:ogc:def:crs:EPSG::999999"
    path = write(tmp_path / "badcrs.city.json", doc)
    with pytest.raises(CRSError) as err:
        read_cityjson(path, target_crs=UTM32)
    assert "999999" in one_line(err, path)
    with pytest.raises(CRSError) as err:
        read_cityjson(ZURICH, target_crs="EPSG:4326")
    assert "not projected in metres" in one_line(err, ZURICH)


# --- bad files ---------------------------------------------------------------------------------


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ReaderError) as err:
        read_cityjson(tmp_path / "nope.city.json", target_crs=None)
    assert "does not exist" in one_line(err, tmp_path / "nope.city.json")
    with pytest.raises(ReaderError) as err:
        read_cityjson(tmp_path, target_crs=None)
    assert "directory" in one_line(err, tmp_path)


def test_truncated_file_says_where(tmp_path: Path) -> None:
    data = ZURICH.read_bytes()
    path = tmp_path / "cut.city.json"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert "is not valid JSON at line 1, column" in one_line(err, path)


def test_garbage_and_empty_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.city.json"
    garbage.write_bytes(np.random.default_rng(7).bytes(20_000))
    with pytest.raises(ReaderError) as err:
        read_cityjson(garbage, target_crs=None)
    assert "JSON" in one_line(err, garbage)
    empty = tmp_path / "empty.city.json"
    empty.write_bytes(b"")
    with pytest.raises(ReaderError) as err:
        read_cityjson(empty, target_crs=None)
    assert "empty" in one_line(err, empty)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"type": "FeatureCollection", "features": []}, "not CityJSON (\"type\" is 'Feature"),
        ([1, 2, 3], "top level is a list"),
        ({"type": "CityJSONFeature", "CityObjects": {}}, "without its CityJSON header"),
        ({"type": "CityJSON", "version": "3.0", "CityObjects": {}}, "version '3.0' is not"),
        ({"type": "CityJSON", "CityObjects": {}}, "no CityJSON version"),
    ],
)
def test_json_that_is_not_cityjson(tmp_path: Path, content: Any, words: str) -> None:
    path = write(tmp_path / "other.json", content)
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert words in one_line(err, path)


def test_an_unknown_minor_version_is_read_with_a_warning(
    tmp_path: Path, doc: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    doc["version"] = "2.1"
    with caplog.at_level(logging.WARNING, logger="twinscape.io.cityjson"):
        result = read_cityjson(write(tmp_path / "v21.city.json", doc), target_crs=UTM32)
    assert result.mesh.count == 49
    assert "2.1" in caplog.text


def test_no_buildings_at_all(tmp_path: Path, doc: dict[str, Any]) -> None:
    doc["CityObjects"] = {"r1": {"type": "Road", "geometry": [
        {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2]]]}]}}
    path = write(tmp_path / "roads.city.json", doc)
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert "no building" in one_line(err, path) and "Road" in str(err.value)


def test_vertex_index_out_of_range_names_the_object(tmp_path: Path, doc: dict[str, Any]) -> None:
    pid = next(oid for oid, obj in doc["CityObjects"].items() if obj["type"] == "BuildingPart")
    doc["CityObjects"][pid]["geometry"][0]["boundaries"][0][0][1] = len(doc["vertices"])
    path = write(tmp_path / "range.city.json", doc)
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    message = one_line(err, path)
    assert pid in message and "out of range" in message and str(len(doc["vertices"])) in message


def test_malformed_boundaries_name_the_object(tmp_path: Path, doc: dict[str, Any]) -> None:
    pid = next(oid for oid, obj in doc["CityObjects"].items() if obj["type"] == "BuildingPart")
    doc["CityObjects"][pid]["geometry"][0]["boundaries"][0][0][1] = 1.5
    path = write(tmp_path / "float.city.json", doc)
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert pid in one_line(err, path)
    doc["vertices"][3] = [1, 2]
    path = write(tmp_path / "vertex.city.json", doc)
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert "[x, y, z]" in one_line(err, path)


def test_seq_errors_name_the_line(tmp_path: Path, doc: dict[str, Any]) -> None:
    lines = to_seq(doc).splitlines()
    path = tmp_path / "cut.city.jsonl"
    path.write_text("\n".join(lines[:10] + [lines[10][: len(lines[10]) // 2]]))
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert "line 11, column" in one_line(err, path)
    path.write_text("\n".join(lines[:5] + [json.dumps({"type": "Feature"})] + lines[5:]))
    with pytest.raises(ReaderError) as err:
        read_cityjson(path, target_crs=None)
    assert "line 6: is 'Feature', not a CityJSONFeature" in one_line(err, path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.city.json"
    os.mkfifo(fifo)
    outcome: list[BaseException | float] = []

    def run() -> None:
        try:
            read_cityjson(fifo, target_crs=None)
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            outcome.append(err)
        outcome.append(sniff_cityjson(fifo))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the thread before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], ReaderError) and "not a regular file" in str(outcome[0])
    assert outcome[1] == 0.9  # by its name, without opening it


def test_devices_and_oversized_files_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if Path("/dev/zero").exists():
        with pytest.raises(ReaderError, match="not a regular file"):
            read_cityjson("/dev/zero", target_crs=None)
    monkeypatch.setattr(cityjson_module, "MAX_FILE_BYTES", 100_000)
    with pytest.raises(ReaderError) as err:
        read_cityjson(ZURICH, target_crs=None)
    assert "over the 0.1 MB limit" in one_line(err, ZURICH)
    assert math.isfinite(ZURICH.stat().st_size)


def test_quick_triangles_agree_with_the_general_triangulator(
    monkeypatch: pytest.MonkeyPatch, zurich_utm: BuildingsRead
) -> None:
    """Triangles and quads split with numpy cover each surface as earcut does: the same
    count and the same vector area per building and surface class."""
    import twinscape.io.cityjson_mesh as geometry

    def nothing(surfaces: Any, xyz: Any) -> Any:
        return [], [], np.zeros(0, dtype=np.int64), np.zeros((0, 3))

    monkeypatch.setattr(geometry, "_quick_triangles", nothing)
    general = read_cityjson(ZURICH, target_crs=UTM32).mesh
    quick = zurich_utm.mesh
    assert len(general.triangles) == len(quick.triangles)
    for mesh in (general, quick):
        assert (mesh.vertex_building >= 0).all()

    def vector_areas(mesh: Any) -> np.ndarray:
        a, b, c = (mesh.vertices[mesh.triangles[:, k]] for k in range(3))
        key = mesh.triangle_building * 3 + mesh.triangle_surface
        cross = np.cross(b - a, c - a) / 2
        return np.stack([np.bincount(key, weights=cross[:, k], minlength=3 * 49)
                         for k in range(3)], axis=1)

    np.testing.assert_allclose(vector_areas(general), vector_areas(quick), atol=1e-4)
    np.testing.assert_array_equal(general.table["height"], quick.table["height"])


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("https://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:7415"),  # 2.0: RD New + NAP
        ("urn:ogc:def:crs:EPSG::7415", "EPSG:7415"),  # 1.0
        ("http://www.opengis.net/def/crs-compound?1=http://www.opengis.net/def/crs/EPSG/0/"
         "28992&2=http://www.opengis.net/def/crs/EPSG/0/5709", "EPSG:7415"),
        ("urn:ogc:def:crs,crs:EPSG::2056,crs:EPSG::5728", "EPSG:2056+5728"),
        ("urn:ogc:def:crs:EPSG:6.6:2056", "EPSG:2056"),
        ("EPSG:2056", "EPSG:2056"),
    ],
)
def test_reference_system_forms(reference: str, expected: str) -> None:
    header = {"metadata": {"referenceSystem": reference}}
    assert reference_system_crs(Path("x.city.json"), header, None) == expected
