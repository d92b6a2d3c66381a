"""Helpers of the scene export tests: an independent GLB reader and DEM triangle counts."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

# -- an independent GLB reader --------------------------------------------------------
_TYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


class Glb:
    """The JSON tree and binary chunk of a GLB file, with accessors as numpy arrays."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        magic, version, length = struct.unpack_from("<4sII", data, 0)
        assert (magic, version, length) == (b"glTF", 2, len(data))
        json_len, json_type = struct.unpack_from("<I4s", data, 12)
        assert json_type == b"JSON"
        self.tree = json.loads(data[20 : 20 + json_len])
        bin_len, bin_type = struct.unpack_from("<I4s", data, 20 + json_len)
        assert bin_type == b"BIN\0"
        self.blob = data[28 + json_len : 28 + json_len + bin_len]

    def view(self, index: int) -> bytes:
        v = self.tree["bufferViews"][index]
        return self.blob[v.get("byteOffset", 0) : v.get("byteOffset", 0) + v["byteLength"]]

    def accessor(self, index: int) -> np.ndarray:
        a = self.tree["accessors"][index]
        values = np.frombuffer(self.view(a["bufferView"]), _TYPES[a["componentType"]])
        return values[: a["count"] * _WIDTH[a["type"]]].reshape(a["count"], -1)

    @property
    def placement(self) -> dict:
        return self.tree["asset"]["extras"]["twinscape"]

    def node(self, name: str) -> dict:
        return next(n for n in self.tree["nodes"] if n["name"] == name)

    def primitives(self, name: str, mode: int = 4) -> list[dict]:
        mesh = self.tree["meshes"][self.node(name)["mesh"]]
        return [p for p in mesh["primitives"] if p.get("mode", 4) == mode]

    def world_points(self, name: str, mode: int = 4) -> np.ndarray:
        """File points (Y up) of a node's primitives in world coordinates of the CRS."""
        to_world = np.array(self.placement["to_world"])
        pts = np.concatenate([self.accessor(p["attributes"]["POSITION"])
                              for p in self.primitives(name, mode)]).astype(np.float64)  # fmt: skip
        return (np.c_[pts, np.ones(len(pts))] @ to_world.T)[:, :3]

    def cells(self, name: str, mode: int = 4) -> int:
        return sum(len(self.accessor(p["indices"])) for p in self.primitives(name, mode)) // (
            3 if mode == 4 else 2
        )


def valid_triangles(values: np.ndarray) -> tuple[int, int]:
    """Triangles with no NaN corner over a grid's cells, and the samples they use."""
    ok = np.isfinite(values)
    a, b, c, d = ok[:-1, :-1], ok[:-1, 1:], ok[1:, :-1], ok[1:, 1:]
    t1, t2 = a & b & d, a & d & c
    used = np.zeros_like(ok)
    for tri, corners in ((t1, ((0, 0), (0, 1), (1, 1))), (t2, ((0, 0), (1, 1), (1, 0)))):
        for dr, dc in corners:
            used[dr : dr + tri.shape[0], dc : dc + tri.shape[1]] |= tri
    return int(t1.sum() + t2.sum()), int(used.sum())
