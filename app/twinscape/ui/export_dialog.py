"""File > Export Scene…: the 3-D scene to glTF/GLB, OBJ + MTL or VTK (.vtm).

The dialog asks for the format, the terrain's level of detail (full, or a coarser level
of its tile pyramid, each with its triangle count and a warning above
:data:`~twinscape.render.scene_export.MAX_TRIANGLES`) and the file. The export reads VTK
objects on the GUI thread, behind a **non-modal** progress dialog (a modal one crashed
this app before) with events processed between layers; its slow jobs that touch neither
VTK nor Qt (building the terrain's mesh and texture, writing the file) run on a worker
thread meanwhile (:func:`in_background`), so the window keeps drawing and answering.
The window's controls are disabled meanwhile so the scene cannot change under it.
Errors are one-line dialogs; warnings a notice that does not block.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from twinscape.render.scene_export import (
    FORMATS,
    MAX_TRIANGLES,
    ExportCancelled,
    ExportReport,
    export_scene,
    format_for,
    terrain_levels,
)
from twinscape.ui.dialogs import show_error, show_notice

TITLE = "Export Scene"
#: Format choices: (label, format name, file filter).
CHOICES = (
    ("glTF binary (.glb)", "glb", "glTF binary (*.glb)"),
    ("glTF (.gltf, one file)", "gltf", "glTF (*.gltf)"),
    ("Wavefront OBJ + MTL (.obj)", "obj", "Wavefront OBJ (*.obj)"),
    ("VTK multiblock (.vtm)", "vtm", "VTK multiblock (*.vtm)"),
)


T = TypeVar("T")


def in_background(job: Callable[[], T]) -> T:
    """``job()`` on a worker thread, processing this thread's events until it is done
    (every 20 ms at least); its result, or its exception raised here."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as pool:
        future = pool.submit(job)
        while not future.done():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            wait([future], timeout=0.02)
        return future.result()


def _triangles(n: int) -> str:
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n:,}"


class ExportDialog(QDialog):
    """Asks for the export format, the terrain level of detail and the file.

    Parameters
    ----------
    levels
        Terrain triangles per level of detail (index 0 full detail; ``[]``: no terrain).
    suggested
        The file the dialog starts with (its suffix picks the format).
    """

    def __init__(self, levels: list[int], suggested: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(560)
        self.format_combo = QComboBox()
        for label, name, _ in CHOICES:
            self.format_combo.addItem(label, name)
        self.level_combo = QComboBox()
        for level, count in enumerate(levels):
            name = "Full detail" if level == 0 else f"Level {level} (1/{4**level} as many)"
            self.level_combo.addItem(f"{name}: {_triangles(count)} triangles", level)
        self.level_combo.setEnabled(bool(levels))
        if not levels:
            self.level_combo.addItem("No terrain", 0)
        self.levels = levels
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.path_edit = QLineEdit(str(suggested))
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("Terrain", self.level_combo)
        form.addRow("", self.warning)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setLayout(form)
        suffix = suggested.suffix.lower()
        for i, (_, name, _) in enumerate(CHOICES):
            if FORMATS[name] == suffix:
                self.format_combo.setCurrentIndex(i)
        self.format_combo.currentIndexChanged.connect(self._format_changed)
        self.level_combo.currentIndexChanged.connect(self._show_warning)
        self._show_warning()

    @property
    def fmt(self) -> str:
        """The chosen format (a key of FORMATS)."""
        return str(self.format_combo.currentData())

    @property
    def level(self) -> int:
        """The chosen terrain level of detail (0: full)."""
        return int(self.level_combo.currentData() or 0)

    @property
    def path(self) -> Path:
        """The chosen file."""
        return Path(self.path_edit.text().strip()).expanduser()

    def _format_changed(self, *_: Any) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix(FORMATS[self.fmt])))

    def _show_warning(self, *_: Any) -> None:
        count = self.levels[self.level] if self.level < len(self.levels) else 0
        self.warning.setText(
            f"{_triangles(count)} triangles is more than {_triangles(MAX_TRIANGLES)}: the "
            "file will be large and slow to open; a coarser level is smaller."
            if count > MAX_TRIANGLES else ""
        )  # fmt: skip

    def _browse(self) -> None:
        file_filter = next(f for _, name, f in CHOICES if name == self.fmt)
        path, _ = QFileDialog.getSaveFileName(self, TITLE, self.path_edit.text(), file_filter)
        if path:
            self.path_edit.setText(str(Path(path).with_suffix(FORMATS[self.fmt])))


def _controls(window: Any) -> list[QWidget]:
    """What the user could change the scene with while an export runs."""
    found = [window.menuBar(), window.centralWidget()]
    return [w for w in found + window.findChildren(QDockWidget) if w is not None]


def run_export(window: Any, path: Path, fmt: str, level: int = 0) -> ExportReport | None:
    """Export the window's scene to ``path``; the report, or None (cancelled or failed)."""
    scene = getattr(window.viewport, "scene", None)
    if scene is None:
        show_error(window, TITLE, "There is no scene to export; open a project first")
        return None
    try:
        fmt = format_for(path, fmt)
    except Exception as err:  # noqa: BLE001 - one line to the user
        show_error(window, TITLE, err)
        return None
    progress = QProgressDialog("Exporting\u2026", "Cancel", 0, 100, window)
    progress.setWindowTitle(TITLE)
    progress.setWindowModality(Qt.WindowModality.NonModal)
    progress.setMinimumDuration(0)
    progress.setAutoClose(False)
    progress.show()
    window.scene_export = progress  # closing the window cancels it, then closes
    disabled = [w for w in _controls(window) if w.isEnabled()]
    for widget in disabled:
        widget.setEnabled(False)

    def step(fraction: float, text: str) -> None:
        progress.setLabelText(text)
        progress.setValue(int(fraction * 100))
        QApplication.processEvents()

    try:
        report = export_scene(scene, path, fmt, terrain_level=level, progress=step,
                              cancelled=progress.wasCanceled, work=in_background)  # fmt: skip
    except ExportCancelled:
        return None
    except Exception as err:  # noqa: BLE001 - shown as one line, logged when unexpected
        show_error(window, TITLE, err)
        return None
    finally:
        for widget in disabled:
            widget.setEnabled(True)
        progress.close()
        progress.deleteLater()
        window.viewport.request_render()
        window.export_ended()
    window.statusBar().showMessage(
        f"Exported {report.layers} layer(s), {_triangles(report.triangles)} triangles, to "
        f"{report.paths[0].name} ({report.bytes / 1e6:.1f} MB, {report.seconds:.1f} s)",
        10000,
    )
    if report.warnings:
        show_notice(window, TITLE, "\n".join(report.warnings))
    return report


def suggested_path(window: Any, fmt: str = "glb") -> Path:
    """A file name for the export: beside the project, named after it."""
    project = window.project
    if project.path is not None:
        return Path(project.path).with_suffix(FORMATS[fmt])
    return Path.home() / f"scene{FORMATS[fmt]}"


def open_export_dialog(window: Any) -> ExportReport | None:
    """File > Export Scene…: ask, then export; the report, or None."""
    scene = getattr(window.viewport, "scene", None)
    if scene is None or not scene.visuals:
        show_error(window, TITLE, "There is nothing to export; open a project or add data first")
        return None
    dialog = ExportDialog(terrain_levels(scene), suggested_path(window), window)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        path, fmt, level = dialog.path, dialog.fmt, dialog.level
    finally:
        dialog.deleteLater()
    return run_export(window, path, fmt, level)
