"""3D models in a real window: add a GLB, see it in the tree and the view, move it, save, reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from twinscape.geo.ground import ground_grids
from twinscape.io.kinds.models import ground_base
from twinscape.model import CameraView
from twinscape.model.models3d import ModelLayer
from twinscape.ui.icons import icon
from twinscape.ui.models_controls import ModelControls

from ui_helpers import process_events, settle, wait_for_task, wait_until

pytestmark = pytest.mark.gui

#: West of the Dead Sea, on the escarpment (about 200 m up a 1:8 slope).
WEST_X = 722_685.0


def write_mast(path: Path) -> Path:
    """A blue 30 x 30 x 90 m mast as a GLB, y up as glTF says."""
    box = trimesh.creation.box(extents=(30.0, 90.0, 30.0))
    box.apply_translation((0.0, 45.0, 0.0))
    box.visual = TextureVisuals(material=PBRMaterial(baseColorFactor=[20, 60, 200, 255]))
    trimesh.Scene(box).export(path)
    return path


def is_blue(pixels: np.ndarray) -> np.ndarray:
    rgb = pixels.astype(np.int32)
    return (rgb[..., 2] > rgb[..., 0] + 60) & (rgb[..., 2] > rgb[..., 1] + 20)


def look_down_at(window, layer: ModelLayer, height: float = 2500.0) -> None:  # noqa: ANN001
    """Look down at the model from ``height`` m above it (real heights, as cameras take them)."""
    x, y, z = layer.placement.x, layer.placement.y, layer.elevation
    window.viewport.apply_view(CameraView(position=(x, y - 300.0, z + height),
                                          focal_point=(x, y, z), view_up=(0.0, 1.0, 0.0),
                                          view_angle=30.0))  # fmt: skip


def display_point(window, world: tuple[float, float, float]) -> tuple[int, int]:  # noqa: ANN001
    """VTK display coordinates (origin bottom-left) of a world point."""
    scene = window.viewport.scene
    renderer = scene.renderer
    x, y, z = scene.origin.point_to_render(world)
    renderer.SetWorldPoint(x, y, z * scene.ground_exaggeration(), 1.0)
    renderer.WorldToDisplay()
    px, py, _ = renderer.GetDisplayPoint()
    return int(round(px)), int(round(py))


def test_a_model_is_added_moved_on_the_ground_saved_and_reopened(
    make_main_window, tmp_path: Path
) -> None:
    window = make_main_window()  # the demo scene: terrain
    project = window.project
    mast = write_mast(tmp_path / "mast.glb")
    task = window.files.add_paths([mast])
    assert wait_for_task(task) == "finished", task.error
    layer = project.layers[-1]
    assert isinstance(layer, ModelLayer) and layer.loaded and layer.up_axis == "y"
    assert layer.size_m == pytest.approx([30.0, 30.0, 90.0])  # glTF y up -> z up
    grids = ground_grids(project.layers)
    assert layer.placement.placed and layer.base is not None
    assert layer.base == ground_base(layer.mesh, layer.placement, grids)

    # the tree shows it with the model icon; its panel is the model's
    item = window.layer_dock.item_for(layer)
    assert item is not None and item.text(0) == "mast"
    expected = icon("model").pixmap(16, 16).toImage()
    assert item.icon(0).pixmap(16, 16).toImage() == expected
    assert window.layer_dock.current_layer() is layer
    controls = window.styling_dock.controls
    assert isinstance(controls, ModelControls)
    assert controls.x.value() == pytest.approx(layer.placement.x, abs=0.01)

    # X in the panel moves the model, which stands on the ground where it now is
    before = layer.base
    controls.x.setValue(WEST_X)
    assert layer.placement.x == pytest.approx(WEST_X)
    expect = ground_base(layer.mesh, layer.placement, grids)
    assert layer.base == expect and expect is not None and expect > before + 100.0
    assert window.is_dirty
    controls.rotation.setValue(405.0 % 360.0)
    assert layer.placement.rotation_deg == pytest.approx(45.0)
    controls.rotation.stepBy(-4)  # 45 - 60 wraps to 345
    assert layer.placement.rotation_deg == pytest.approx(345.0)
    layer.placement = layer.placement.__class__(**{**vars(layer.placement), "scale": 2.0})
    assert controls.scale.value() == pytest.approx(2.0)  # the model writes back

    # it is drawn there, blue, and a click on it identifies it
    look_down_at(window, layer)
    image = settle(window)
    top = (layer.placement.x, layer.placement.y, layer.elevation + 180.0)
    px, py = display_point(window, top)
    row = image.shape[0] - 1 - py
    assert is_blue(image[row - 2 : row + 3, px - 2 : px + 3]).any(), image[row, px]
    hit = window.identify_at(px, py)
    assert hit is not None and hit.layer is layer and hit.row == 0
    assert window.inspector_dock.isVisible()
    tree = window.inspector_dock.tree
    rows = {tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(1)
            for i in range(tree.topLevelItemCount())}  # fmt: skip
    assert rows["model"] == "mast" and rows["file"] == "mast.glb" and rows["triangles"] == "12"

    # snapping off: the foot goes to the z offset (metres above the datum)
    controls.z_offset.setValue(12.0)
    assert layer.elevation == pytest.approx(layer.base + 12.0)
    controls.snap.setChecked(False)
    assert layer.elevation == pytest.approx(12.0)
    controls.snap.setChecked(True)

    saved = tmp_path / "site.toml"
    assert window.files.save_to(saved)
    placement, base = layer.placement, layer.base
    window.close()
    reopened = make_main_window(saved)
    [again] = [m for m in reopened.project.layers if isinstance(m, ModelLayer)]
    assert again.placement == placement and again.up_axis == "y" and again.loaded
    assert again.base == pytest.approx(base)
    assert not reopened.is_dirty
    process_events(0.05)


def test_changing_the_up_axis_reloads_the_model(make_main_window, tmp_path: Path) -> None:
    window = make_main_window()
    task = window.files.add_paths([write_mast(tmp_path / "mast.glb")])
    assert wait_for_task(task) == "finished", task.error
    layer = window.project.layers[-1]
    controls = window.styling_dock.controls
    old_mesh = layer.mesh
    controls.up_axis.setCurrentIndex(controls.up_axis.findData("z"))
    assert layer.up_axis == "z"
    wait_until(lambda: layer.mesh is not old_mesh and not window.loader.busy, what="reload")
    process_events(0.05)
    assert layer.size_m == pytest.approx([30.0, 90.0, 30.0])  # read as if z were up
