"""A scene export keeps an orthophoto as sharp as the view shows it close up.

The scene of ``test_imagery_detail``: a DEM of 30 m cells and, draped on it, a picture of
about 1 m pixels, blue with a 2-pixel red line running north-south and white east of an
edge. The GLB is read back with the independent reader of ``export_helpers``; where the
line and the edge lie in its texture is found from the file alone (its vertices' world
positions and texture coordinates), the picture's geometry from pyproj. At the grid's
30 m the edge would be a 30 m ramp and the line a faint band.
"""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from export_helpers import Glb
from PIL import Image
from test_imagery_detail import (
    BLUE,
    EDGE_LON,
    LINE_LON,
    MID_LAT,
    TO_UTM,
    project_with,
    write_ortho,
)

from twinscape.render.export_terrain import MAX_TEXTURE_PX
from twinscape.render.scene_export import export_project

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Glb, str, int]:
    folder = tmp_path_factory.mktemp("export_ortho")
    project, grid = project_with(write_ortho(folder / "ortho.tif"))
    out = folder / "ortho.glb"
    export_project(project, out)
    return Glb(out), project.layers[0].name, grid.shape[0]


def texture_of(glb: Glb, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The terrain's texture (rows from the top), world points and texture coordinates."""
    (prim,) = glb.primitives(name)
    material = glb.tree["materials"][prim["material"]]
    tex = glb.tree["textures"][material["pbrMetallicRoughness"]["baseColorTexture"]["index"]]
    png = Image.open(BytesIO(glb.view(glb.tree["images"][tex["source"]]["bufferView"])))
    uv = glb.accessor(prim["attributes"]["TEXCOORD_0"]).astype(np.float64)
    return np.asarray(png.convert("RGB")).astype(int), glb.world_points(name), uv


def texels_along_row(image: np.ndarray, pts: np.ndarray, uv: np.ndarray, x: np.ndarray,
                     y: float) -> np.ndarray:  # fmt: skip
    """RGB of the texels under world points ``(x, y)``: an affine map world -> texel fitted
    to the file's own vertices (positions and texture coordinates)."""
    h, w = image.shape[:2]
    design = np.c_[pts[:, 0], pts[:, 1], np.ones(len(pts))]
    coef = np.linalg.lstsq(design, uv, rcond=None)[0]  # (3, 2): x, y, 1 -> u, v
    u, v = (np.c_[x, np.full(len(x), y), np.ones(len(x))] @ coef).T
    cols = np.clip(np.floor(u * w).astype(int), 0, w - 1)
    rows = np.clip(np.floor(v * h).astype(int), 0, h - 1)
    return image[rows, cols]


def test_the_texture_is_finer_than_the_grid_within_the_limit(exported) -> None:  # noqa: ANN001
    glb, name, samples = exported
    image, _, _ = texture_of(glb, name)
    h, w = image.shape[:2]
    # 30 m cells, 1 m pixels: 2**5 finer wanted, 8x is what fits in 8192 texels
    assert (h, w) == ((samples - 1) * 8 + 1,) * 2
    assert max(h, w) <= MAX_TEXTURE_PX


def test_the_edge_and_the_line_are_sharp(exported) -> None:  # noqa: ANN001
    glb, name, _ = exported
    image, pts, uv = texture_of(glb, name)
    edge_x, y = TO_UTM.transform(EDGE_LON, MID_LAT)
    offsets = np.arange(-40.0, 40.5, 0.5)
    rgb = texels_along_row(image, pts, uv, edge_x + offsets, y)
    blue = (rgb[:, 2] > 150) & (rgb[:, 0] < 80)
    white = rgb.min(axis=1) > 200
    assert blue[offsets < -5].all() and white[offsets > 5].all()  # a 30 m texel would ramp
    # the line's 2 m of red: in a 30 m texel 6 % of its colour, in 3.75 m ones far more
    line_x, y = TO_UTM.transform(LINE_LON, MID_LAT)
    offsets = np.arange(-20.0, 20.5, 0.5)
    rgb = texels_along_row(image, pts, uv, line_x + offsets, y)
    red_share = (rgb[:, 0] - BLUE[0]) / (255 - BLUE[0])
    assert red_share.max() > 0.15
    assert (red_share[np.abs(offsets) > 6] < 0.02).all()  # blue a texel or two away
