"""glTF 2.0 of an export scene: binary (.glb) or JSON with the buffer embedded (.gltf).

Written directly (JSON header + one binary buffer) because a layer needs one node whose
mesh has a triangles and a lines primitive, an unlit material, linear 16-bit vertex
colours and the asset's ``extras``, which trimesh's exporter cannot all express.

- One node per layer, named after it (``extras.twinscape``: layer id and kind), with one
  mesh: its triangles (mode 4) and its line segments (mode 1).
- Colours: ``COLOR_0`` per vertex (glTF's vertex colours are **linear**: the sRGB colours
  drawn are converted and stored as normalized uint16), or the terrain's baked colours as
  ``baseColorTexture`` (PNG, sRGB) over ``TEXCOORD_0``. Materials are unlit
  (``KHR_materials_unlit``: shading is baked into the colours, as drawn), double-sided,
  and blended when the layer is translucent.
- Axes: glTF is Y-up, so a render point (x, y, z) (east, north, up, metres from the
  origin) is written as (x, z, -y). ``asset.extras.twinscape`` holds the CRS, the origin,
  the units, ``"up": "Z"`` (of the project), the axis mapping and ``to_world``, the 4 x 4
  matrix taking file coordinates to world coordinates of the CRS (repeated in the scene's
  ``extras``, which e.g. trimesh loads as ``scene.metadata``).
"""

from __future__ import annotations

import base64
import io
import json
import struct
from typing import Any

import numpy as np

from twinscape import __version__
from twinscape.render.export_mesh import (
    LINES,
    TRIANGLES,
    ExportLayer,
    ExportPart,
    ExportScene,
    render_to_yup,
    srgb_to_linear,
)

_FLOAT, _UINT16, _UINT32 = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_MODES = {TRIANGLES: 4, LINES: 1}
_UNLIT = "KHR_materials_unlit"


def extras(scene: ExportScene) -> dict[str, Any]:
    """The ``asset.extras.twinscape`` that places the file back on the map."""
    ox, oy, oz = (float(v) for v in scene.origin)
    return {
        "crs": scene.crs,
        "origin": [ox, oy, oz],
        "units": "m",
        "up": "Z",
        "axes": "file [X, Y, Z] = project [x - origin x, z - origin z, -(y - origin y)]",
        "to_world": [[1.0, 0.0, 0.0, ox], [0.0, 0.0, -1.0, oy],
                     [0.0, 1.0, 0.0, oz], [0.0, 0.0, 0.0, 1.0]],  # fmt: skip
        "heights": "true (no vertical exaggeration)",
        "project": scene.name,
    }


class _Builder:
    """Collects the JSON tree and the binary buffer of one glTF document."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.tree: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": f"Twinscape {__version__}"},
            "scene": 0, "scenes": [], "nodes": [], "meshes": [], "materials": [],
            "accessors": [], "bufferViews": [],
        }  # fmt: skip

    def view(self, data: bytes, target: int | None = None) -> int:
        """Append ``data`` (4-byte aligned) as a buffer view; its index."""
        self.blob.extend(b"\0" * (-len(self.blob) % 4))
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.blob.extend(data)
        self.tree["bufferViews"].append(view)
        return len(self.tree["bufferViews"]) - 1

    def accessor(self, array: np.ndarray, kind: str, component: int, *, target: int,
                 normalized: bool = False, bounds: bool = False) -> int:  # fmt: skip
        """Append ``array`` as an accessor of ``kind`` (SCALAR, VEC2...); its index."""
        acc: dict[str, Any] = {
            "bufferView": self.view(np.ascontiguousarray(array).tobytes(), target),
            "componentType": component, "count": int(len(array)), "type": kind,
        }  # fmt: skip
        if normalized:
            acc["normalized"] = True
        if bounds:
            acc["min"] = [float(v) for v in array.min(axis=0)]
            acc["max"] = [float(v) for v in array.max(axis=0)]
        self.tree["accessors"].append(acc)
        return len(self.tree["accessors"]) - 1

    def image(self, rgb: np.ndarray) -> int:
        """Append a PNG texture of ``rgb`` (row 0 at the top); the texture's index."""
        from PIL import Image

        stream = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(rgb[..., :3])).save(stream, "PNG", compress_level=6)
        images = self.tree.setdefault("images", [])
        images.append({"bufferView": self.view(stream.getvalue()), "mimeType": "image/png"})
        samplers = self.tree.setdefault(
            "samplers", [{"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}]
        )
        textures = self.tree.setdefault("textures", [])
        textures.append({"sampler": len(samplers) - 1, "source": len(images) - 1})
        return len(textures) - 1

    def material(self, part: ExportPart, name: str, textured: bool) -> int:
        """An unlit, double-sided material for ``part``; its index."""
        base = list(part.color[:3]) if part.colors is None and not textured else [1.0, 1.0, 1.0]
        base = [float(v) for v in srgb_to_linear(np.array(base))]
        pbr: dict[str, Any] = {"baseColorFactor": [*base, float(part.opacity)],
                               "metallicFactor": 0.0, "roughnessFactor": 1.0}  # fmt: skip
        if textured:
            assert part.texture is not None
            pbr["baseColorTexture"] = {"index": self.image(part.texture)}
        material = {"name": name, "pbrMetallicRoughness": pbr, "doubleSided": True,
                    "extensions": {_UNLIT: {}}}  # fmt: skip
        if part.opacity < 0.999:
            material["alphaMode"] = "BLEND"
        self.tree["materials"].append(material)
        return len(self.tree["materials"]) - 1

    def primitive(self, part: ExportPart, name: str, *, textures: bool) -> dict[str, Any]:
        """One primitive of ``part``: positions, colours or texture, indices, material."""
        textured = textures and part.texture is not None and part.uv is not None
        attributes = {"POSITION": self.accessor(render_to_yup(part.points), "VEC3", _FLOAT,
                                                target=_ARRAY_BUFFER, bounds=True)}  # fmt: skip
        if textured:
            attributes["TEXCOORD_0"] = self.accessor(
                np.asarray(part.uv, np.float32), "VEC2", _FLOAT, target=_ARRAY_BUFFER
            )
        elif part.colors is not None:
            rgba = part.colors.astype(np.float64) / 255.0
            rgba[:, :3] = srgb_to_linear(rgba[:, :3])
            colours = np.round(rgba * 65535).astype(np.uint16)
            attributes["COLOR_0"] = self.accessor(colours, "VEC4", _UINT16,
                                                  target=_ARRAY_BUFFER, normalized=True)
        indices = self.accessor(np.asarray(part.cells, np.uint32).ravel(), "SCALAR", _UINT32,
                                target=_ELEMENT_ARRAY_BUFFER)  # fmt: skip
        return {"attributes": attributes, "indices": indices,
                "mode": _MODES[part.kind],
                "material": self.material(part, name, textured)}  # fmt: skip

    def layer(self, layer: ExportLayer, *, textures: bool) -> int:
        """A node and mesh for ``layer``; the node's index."""
        primitives = [self.primitive(p, f"{layer.name} {p.kind}", textures=textures)
                      for p in layer.parts if p.n_cells]  # fmt: skip
        self.tree["meshes"].append({"name": layer.name, "primitives": primitives})
        self.tree["nodes"].append({
            "name": layer.name, "mesh": len(self.tree["meshes"]) - 1,
            "extras": {"twinscape": {"layer_id": layer.layer_id, "kind": layer.kind}},
        })  # fmt: skip
        return len(self.tree["nodes"]) - 1


def build(scene: ExportScene, *, textures: bool = True) -> tuple[dict[str, Any], bytes]:
    """The glTF JSON tree and its binary buffer for ``scene``.

    ``textures`` False colours the terrain by its vertices instead of its texture.
    """
    b = _Builder()
    nodes = [b.layer(layer, textures=textures) for layer in scene.layers if layer.parts]
    placed = {"twinscape": extras(scene)}
    b.tree["scenes"].append({"name": scene.name, "nodes": nodes, "extras": placed})
    b.tree["asset"]["extras"] = placed  # the scene's too: trimesh reads it as scene.metadata
    if b.tree["materials"]:
        b.tree["extensionsUsed"] = [_UNLIT]
    b.blob.extend(b"\0" * (-len(b.blob) % 4))
    b.tree["buffers"] = [{"byteLength": len(b.blob)}]
    for key in ("meshes", "materials", "accessors", "bufferViews"):
        if not b.tree[key]:
            del b.tree[key]  # glTF arrays may not be empty
    return b.tree, bytes(b.blob)


def glb_bytes(scene: ExportScene, *, textures: bool = True) -> bytes:
    """``scene`` as a binary glTF (GLB) file."""
    tree, blob = build(scene, textures=textures)
    text = json.dumps(tree, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return b"".join([
        struct.pack("<4sII", b"glTF", 2, total),
        struct.pack("<I4s", len(text), b"JSON"), text,
        struct.pack("<I4s", len(blob), b"BIN\0"), blob,
    ])  # fmt: skip


def gltf_text(scene: ExportScene, *, textures: bool = True) -> bytes:
    """``scene`` as a JSON glTF file with its buffer embedded (a base64 data URI)."""
    tree, blob = build(scene, textures=textures)
    uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode("ascii")
    tree["buffers"][0]["uri"] = uri
    return json.dumps(tree, separators=(",", ":")).encode("utf-8")
