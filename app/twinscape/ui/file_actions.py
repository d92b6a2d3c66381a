"""File menu behaviour: new, open, save, add data, screenshot, and "save your changes?".

Loading runs on the :class:`~twinscape.ui.loader.Loader`; results are applied
to the model here, on the GUI thread. A failure shows one line and leaves the
current project as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog

from twinscape.geo.ground import ground_grids
from twinscape.io.formats import (
    PROJECT,
    PROJECT_FILE_FILTER,
    PROJECT_SUFFIX,
    classify_path,
    is_screenshot_path,
)
from twinscape.io.kinds import data_file_filter, kinds
from twinscape.io.loading import LayerLoad, apply_load, new_project
from twinscape.io.project_file import save_project
from twinscape.model.errors import MissingCRSError, TwinscapeError, one_line, quote_path
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.render.overlays import OverlayOptions
from twinscape.ui.dialogs import (
    SaveChoice,
    ask_crs,
    ask_save_changes,
    error_text,
    show_error,
    show_warnings,
)
from twinscape.ui.load_jobs import (
    AddedLayers,
    add_layers_job,
    open_data_job,
    open_project_job,
    reload_layer_job,
)
from twinscape.ui.loader import LoadTask
from twinscape.ui.recent_files import app_settings
from twinscape.ui.screenshot_actions import restore_from_png, take_screenshot
from twinscape.ui.screenshot_dialog import ScreenshotDialog

if TYPE_CHECKING:
    from twinscape.ui.main_window import MainWindow

_LAST_DIR = "lastDirectory"


def _last_dir() -> str:
    value = app_settings().value(_LAST_DIR, "")
    return str(value) if value and Path(str(value)).is_dir() else str(Path.home())


def _remember_dir(path: Path) -> None:
    app_settings().setValue(_LAST_DIR, str(path.parent))


class FileActions(QObject):
    """What the File menu does, for one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    # -- helpers ---------------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self.window.project

    def _busy(self) -> bool:
        if self.window.loader.busy:
            self.window.statusBar().showMessage(
                "Wait for the current load to finish (or cancel it).", 4000
            )
            return True
        return False

    def _submit(
        self, job: Any, label: str, *, on_failed: Callable[[BaseException], None] | None = None
    ) -> LoadTask:
        task = self.window.loader.submit(job, label=label, dialog_parent=self.window)
        task.failed.connect(lambda err: self._say_failed(label, err))
        task.failed.connect(
            on_failed or (lambda err: show_error(self.window, "Could not load", err))
        )
        task.cancelled.connect(
            lambda: self.window.statusBar().showMessage("Cancelled; nothing was changed.", 4000)
        )
        return task

    def _say_failed(self, label: str, err: BaseException) -> None:
        """Put a failed load in the status bar too (the dialog may be dismissed)."""
        self.window.statusBar().showMessage(
            one_line(f"{label} failed: {error_text(err)}; nothing was changed."), 15000
        )

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels (or saving failed)."""
        if not self.window.is_dirty:
            return True
        choice = ask_save_changes(self.window, self.project.name)
        if choice is SaveChoice.SAVE:
            return self.save()
        return choice is SaveChoice.DISCARD

    # -- new / open ------------------------------------------------------------------
    def new_project(self) -> None:
        """File > New."""
        if self._busy() or not self.maybe_save():
            return
        self.window.set_project(new_project())
        self.window.statusBar().showMessage("New project.", 3000)

    def open_dialog(self) -> None:
        """File > Open...: a project, or data files shown in a new project."""
        if self._busy():
            return
        extensions = [ext for kind in kinds() for ext in kind.extensions]
        patterns = " ".join(f"*{ext}" for ext in (PROJECT_SUFFIX, *extensions, ".png"))
        per_kind = data_file_filter().split(";;")[1:]
        shots = "Twinscape screenshots: restore the view (*.png)"
        filters = ";;".join(
            [f"Projects and data ({patterns})", PROJECT_FILE_FILTER, *per_kind, shots]
        )
        path, _ = QFileDialog.getOpenFileName(self.window, "Open Project", _last_dir(), filters)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: str | os.PathLike[str], *, ask: bool = True) -> LoadTask | None:
        """Open a project file, or a data file in a new unsaved project; returns the load."""
        return self.open_paths([path], ask=ask)

    def open_paths(
        self, paths: Sequence[str | os.PathLike[str]], *, ask: bool = True
    ) -> LoadTask | None:
        """Open one project file, or data files as a new unsaved project.

        Returns the running load (None when nothing was started).
        """
        if self._busy() or not paths:
            return None
        paths = [Path(p).expanduser().resolve() for p in paths]
        if len(paths) == 1 and is_screenshot_path(paths[0]):
            self.restore_from_png(paths[0])
            return None
        try:
            kinds = [classify_path(p) for p in paths]
        except TwinscapeError as err:
            show_error(self.window, "Could not open", err)
            return None
        if PROJECT in kinds and len(paths) > 1:
            show_error(
                self.window,
                "Could not open",
                f"{quote_path(paths[0])}: open either one project file or data files, not both",
            )
            return None
        if ask and not self.maybe_save():
            return None
        path = paths[0]
        _remember_dir(path)
        label = (
            f"Opening {quote_path(path.name)}" if len(paths) == 1 else f"Opening {len(paths)} files"
        )
        if kinds == [PROJECT]:
            task = self._submit(open_project_job(path), label)
            task.finished.connect(lambda result: self._project_opened(path, *result))
        else:
            task = self._submit(open_data_job(paths), label)
            task.finished.connect(lambda result: self._data_opened(paths, *result))
        return task

    def _project_opened(self, path: Path, project: Project, warnings: list[str]) -> None:
        self.window.set_project(project)
        self.window.recent.add(path)
        self.window.statusBar().showMessage(f"Opened {path}", 5000)
        show_warnings(self.window, "Project opened with warnings", warnings)

    def _data_opened(self, paths: list[Path], project: Project, warnings: list[str]) -> None:
        self.window.set_project(project)
        if len(paths) == 1:
            self.window.recent.add(paths[0])
        self.window.statusBar().showMessage(
            f"Opened {', '.join(p.name for p in paths)} in a new project", 5000
        )
        show_warnings(self.window, "Data opened with warnings", warnings)

    # -- add data --------------------------------------------------------------------
    def add_data_dialog(self) -> None:
        """File > Add Data...: one or more data files of any layer kind."""
        if self._busy():
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self.window, "Add Data", _last_dir(), data_file_filter()
        )
        if paths:
            self.add_paths([Path(p) for p in paths])

    def add_paths(
        self, paths: list[Path], *, assume: dict[Path, str] | None = None
    ) -> LoadTask | None:
        """Read data files off the GUI thread and add them as layers of their kinds.

        ``assume`` maps files that state no CRS to the CRS the user said they are in.
        """
        if self._busy() or not paths:
            return None
        paths = [Path(p).expanduser().resolve() for p in paths]
        _remember_dir(paths[0])
        project = self.project
        label = (
            f"Adding {quote_path(paths[0].name)}"
            if len(paths) == 1
            else f"Adding {len(paths)} files"
        )
        job = add_layers_job(
            paths, project.crs, project.origin, ground_grids(project.layers), assume
        )
        task = self._submit(
            job, label, on_failed=lambda err: self._report_failures(project, [err], 0)
        )
        task.finished.connect(lambda added: self._layers_loaded(project, added))
        return task

    def _report_failures(self, project: Project, failures: list[BaseException], added: int) -> None:
        """Show what could not be added; offer a CRS for files that state none."""
        missing = [err for err in failures if isinstance(err, MissingCRSError)]
        others = [err for err in failures if not isinstance(err, MissingCRSError)]
        if len(others) == 1 and not added and not missing:
            show_error(self.window, "Could not load", others[0])
        elif others:
            count = len(others)
            lines = "\n".join(error_text(err) for err in others)
            show_error(
                self.window, f"Could not add {count} of {len(failures) + added} files", lines
            )
        assume: dict[Path, str] = {}
        for err in missing:
            crs = ask_crs(self.window, Path(err.path), project.crs)
            if crs is not None:
                assume[Path(err.path)] = crs
        if assume and project is self.project:
            self._when_idle(lambda: self.add_paths(list(assume), assume=assume))

    def _when_idle(self, action: Callable[[], object]) -> None:
        """Run ``action`` once the loader has finished the current job."""
        if self.window.loader.busy:
            QTimer.singleShot(50, lambda: self._when_idle(action))
        else:
            action()

    def _layers_loaded(self, project: Project, added: AddedLayers) -> None:
        if project is not self.project:  # the project was replaced meanwhile: drop
            return
        was_empty = project.bounds() is None
        layer = None
        loads = added.loads
        try:
            for load in loads:
                layer = apply_load(project, load)
        except (TwinscapeError, ValueError) as err:
            show_error(self.window, "Could not add data", err)
        show_warnings(
            self.window, "Data added with warnings", [w for load in loads for w in load.warnings]
        )
        if added.failures:
            self._report_failures(project, list(added.failures), len(loads))
        if was_empty:
            self.window.viewport.zoom_to_all()
        if layer is not None:
            self.window.layer_dock.select_layer(layer)
        names = ", ".join(load.layer.name for load in loads)
        self.window.statusBar().showMessage(f"Added {names}", 5000)

    def reload_layer(self, layer: Layer) -> LoadTask | None:
        """Read ``layer``'s data again (its settings or its file changed) off the GUI thread."""
        project = self.project
        if self.window.loader.busy:  # try again once the current load is over
            self._when_idle(lambda: self.reload_layer(layer))
            return None
        job = reload_layer_job(layer, project.crs, ground_grids(project.layers), project.origin)
        task = self._submit(job, f"Reloading {layer.name}")

        def apply(load: LayerLoad) -> None:
            if project is self.project and layer in project.layers:
                apply_load(project, load)
                show_warnings(self.window, "Layer reloaded with warnings", list(load.warnings))

        task.finished.connect(apply)
        return task

    # -- save ------------------------------------------------------------------------
    def save(self) -> bool:
        """File > Save (Save As when the project has no file yet)."""
        if self.project.path is None:
            return self.save_as()
        return self.save_to(self.project.path)

    def save_as(self) -> bool:
        """File > Save As..."""
        project = self.project
        start = project.path or Path(_last_dir()) / f"{project.name}.toml"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save Project As", str(start), PROJECT_FILE_FILTER
        )
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != ".toml":
            path = path.with_name(path.name + ".toml")  # "plan.v2" is not "plan.toml"
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        """Write the project (with the current camera) to ``path``."""
        project = self.project
        view = self.window.viewport.current_view()
        if view is not None:
            project.view = view
        if project.name == "Untitled" and project.path is None:
            project.name = Path(path).stem
        try:
            written = save_project(project, path)
        except (TwinscapeError, OSError) as err:
            show_error(self.window, "Could not save", err)
            return False
        self.window.mark_clean()
        self.window.recent.add(written)
        _remember_dir(written)
        self.window.statusBar().showMessage(f"Saved {written}", 5000)
        return True

    # -- screenshot ------------------------------------------------------------------
    def screenshot_dialog(self) -> Path | None:
        """File > Screenshot...: a PNG of the 3D view at full detail, up to 8K."""
        viewport = self.window.viewport
        suggested = Path(_last_dir()) / f"{self.project.name}.png"
        dialog = ScreenshotDialog(
            viewport.display_size(), suggested, self.window, title=self.project.name
        )
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            path, size = dialog.path, dialog.picture_size
            transparent, overlays = dialog.transparent, dialog.overlays
        finally:
            dialog.deleteLater()
        return self.save_screenshot(path, size=size, transparent=transparent, overlays=overlays)

    def save_screenshot(
        self,
        path: Path,
        *,
        scale: int = 1,
        size: tuple[int, int] | None = None,
        transparent: bool = False,
        overlays: OverlayOptions | None = None,
    ) -> Path | None:
        """Write the screenshot (with progress when off-screen); errors are shown, not raised."""
        if size is None and scale > 1:
            width, height = self.window.viewport.display_size()
            size = (width * scale, height * scale)
        written = take_screenshot(
            self.window, path, size=size, transparent=transparent, overlays=overlays
        )
        if written is not None:
            _remember_dir(written)
        return written

    def restore_from_png(self, path: Path) -> bool:
        """Open a Twinscape screenshot: its camera and clock time in the open project."""
        return restore_from_png(self.window, Path(path))
