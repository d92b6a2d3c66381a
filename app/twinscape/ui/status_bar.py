"""The status bar: the world position, latitude/longitude and DEM elevation under the mouse.

Mouse moves over the 3D view are throttled (one pick per ~30 ms); the point
is picked on the scene, converted to lon/lat with pyproj, and the elevation
is sampled from the DEM grid of the topmost visible terrain layer (the data,
not the exaggerated mesh).

Work that fails in the background is told here too: when a terrain's colours cannot be
computed (:mod:`twinscape.render.recolour`), the status bar says so until they can, and
a notice that does not block gives the one-line reason.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMessageBox,
    QStatusBar,
    QToolButton,
    QWidget,
)

from twinscape.geo.crs import LonLatTransformer, crs_label
from twinscape.geo.ground import ground_grids
from twinscape.geo.sampling import sample_elevation
from twinscape.model.errors import one_line
from twinscape.model.project import Project
from twinscape.render.recolour import (
    ColourProblem,
    add_colour_listener,
    remove_colour_listener,
)
from twinscape.ui.dialogs import show_notice
from twinscape.ui.icons import icon

DASH = "\u2014"
MINUS = "\u2212"
THROTTLE_MS = 30


def _grouped(value: float, decimals: int = 1) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", " ")
    return (MINUS if value < 0 else "") + text


def format_position(x: float, y: float, crs: str | None) -> str:
    """``E 712 345.2  N 3 512 345.7 m (EPSG:32636)``."""
    suffix = f" ({crs})" if crs else ""
    return f"E {_grouped(x)}  N {_grouped(y)} m{suffix}"


def format_lonlat(lon: float, lat: float) -> str:
    """``31.7512° N, 35.4521° E``."""
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.4f}\u00b0 {ns}, {abs(lon):.4f}\u00b0 {ew}"


def format_elevation(z: float | None) -> str:
    """``elev −398.0 m``; a dash when there is no data."""
    if z is None or not math.isfinite(z):
        return f"elev {DASH}"
    return f"elev {_grouped(z)} m"


def elevation_at(project: Project, x: float, y: float) -> float | None:
    """Ground elevation at world (x, y): the topmost visible ground layer with data there.

    A layer read from its file on demand (``elevation_at``) answers at full resolution.
    """
    shown = [layer for layer in project.layers if layer.visible]
    owner = {id(getattr(layer, "grid", None)): layer for layer in shown}
    for grid in ground_grids(shown):
        exact = getattr(owner[id(grid)], "elevation_at", None)
        value = float(exact(x, y) if exact is not None else sample_elevation(grid, x, y))
        if math.isfinite(value):
            return value
    return None


class CoordinateStatus(QObject):
    """Fills a QStatusBar with the cursor readout and the project CRS.

    Parameters
    ----------
    status_bar
        The window's status bar.
    view_widget
        The interactor widget whose mouse moves are followed.
    pick
        ``pick(x_px, y_px) -> (x, y, z) | None`` in VTK display coordinates.
    identify
        ``identify(x_px, y_px, refresh=False) -> Hit | None``: the feature under the cursor.
    """

    def __init__(
        self, status_bar: QStatusBar, view_widget: QWidget, pick: Any, *, identify: Any = None
    ) -> None:
        super().__init__(status_bar)
        self._view = view_widget
        self._status_bar = status_bar
        self._pick = pick
        self._identify = identify
        self._project: Project | None = None
        self._lonlat: LonLatTransformer | None = None
        self._pending: tuple[int, int] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self._update_pending)

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.position_label = self._label(
            "position", mono, "E 000 000.0  N 0 000 000.0 m (EPSG:00000)"
        )
        self.lonlat_label = self._label("lonlat", mono, "00.0000\u00b0 N, 000.0000\u00b0 E")
        self.elevation_label = self._label("elevation", mono, f"elev {MINUS}0 000.0 m")
        self.feature_label = self._label("feature", QFont(), "building 1234567890")
        for label in (
            self.feature_label,
            self.position_label,
            self.lonlat_label,
            self.elevation_label,
        ):
            status_bar.addPermanentWidget(label)
        self.crs_button = QToolButton(status_bar)
        self.crs_button.setObjectName("crsButton")
        self.crs_button.setAutoRaise(True)
        self.crs_button.setIcon(icon("crs"))
        self.crs_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.crs_button.setToolTip("Project coordinate reference system")
        self.crs_button.clicked.connect(self._show_crs)
        status_bar.addPermanentWidget(self.crs_button)
        self.clear()
        view_widget.installEventFilter(self)
        self._problems: dict[int, str] = {}  # id(layer) -> the status message shown for it
        self._notice: QMessageBox | None = None
        add_colour_listener(self._on_colour_problem)

    def _label(self, name: str, font: QFont, widest: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setFont(font)
        label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 16)
        label.setContentsMargins(6, 0, 6, 0)
        return label

    # -- project ---------------------------------------------------------------------
    def set_project(self, project: Project | None) -> None:
        """Follow ``project`` (its CRS and layers)."""
        for key in list(self._problems):
            self._forget_problem(key)
        self._project = project
        self.update_crs()
        self.clear()

    def update_crs(self) -> None:
        """Refresh the permanent CRS widget and the lon/lat transformer."""
        crs = self._project.crs if self._project is not None else None
        self._lonlat = None
        if crs:
            try:
                self._lonlat = LonLatTransformer(crs)
            except Exception:  # noqa: BLE001 - a CRS pyproj cannot invert: no lon/lat
                self._lonlat = None
            try:
                label = crs_label(crs)
            except Exception:  # noqa: BLE001
                label = crs
            self.crs_button.setText(label)
            self.crs_button.setToolTip(f"Project CRS: {label}")
        else:
            self.crs_button.setText("No CRS")
            self.crs_button.setToolTip("The project CRS is set by the first layer added")

    # -- background failures -----------------------------------------------------------
    def _on_colour_problem(self, layer: Any, problem: ColourProblem | None) -> None:
        """A terrain's colouring failed or healed (GUI thread, maybe inside a render)."""
        project = self._project
        if project is None or not any(item is layer for item in project.layers):
            if problem is None:
                self._forget_problem(id(layer))
            return
        if problem is None:
            self._forget_problem(id(layer))
            return
        tail = (
            "the colours shown are out of date" if problem.stale else "the rest is drawn"
        )
        text = one_line(f"Terrain \u201c{layer.name}\u201d: {problem.message}; {tail}")
        self._problems[id(layer)] = text
        QTimer.singleShot(0, self, lambda: self._tell(text))  # not in the middle of a render

    def _tell(self, text: str) -> None:
        if text not in self._problems.values():  # healed meanwhile
            return
        self._status_bar.showMessage(text)
        self._notice = show_notice(
            self._view.window(), "Terrain colours", text, box=self._notice_box()
        )

    def _notice_box(self) -> QMessageBox | None:
        """The notice still open, if any (one notice is updated, not stacked)."""
        box = self._notice
        try:
            return box if box is not None and box.isVisible() else None
        except RuntimeError:  # deleted on close (WA_DeleteOnClose)
            return None

    def _forget_problem(self, key: int) -> None:
        text = self._problems.pop(key, None)
        if text is not None and self._status_bar.currentMessage() == text:
            self._status_bar.clearMessage()

    @property
    def problems(self) -> list[str]:
        """The background failures shown now, one line each."""
        return list(self._problems.values())

    def _show_crs(self) -> None:
        crs = self._project.crs if self._project is not None else None
        text = (
            f"Project CRS: {self.crs_button.text()}\n\nEvery layer is reprojected to it when "
            "it is loaded; coordinates in the status bar are in this CRS."
            if crs
            else "The project has no CRS yet: the first layer added picks the UTM zone of its data."
        )
        QMessageBox.information(self._view.window(), "Coordinate reference system", text)

    # -- mouse -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Follow mouse moves over the 3D view (never consumes the event)."""
        if watched is self._view:
            kind = event.type()
            if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
                self.hover_widget(event.position().toPoint())
            elif kind == QEvent.Type.Leave:
                self._timer.stop()
                self._pending = None
                self.clear()
        return False

    def hover_widget(self, pos: QPoint) -> None:
        """Qt widget position (logical px, origin top-left) -> throttled readout."""
        ratio = self._view.devicePixelRatioF()
        x = int(round(pos.x() * ratio))
        y = int(round((self._view.height() - pos.y() - 1) * ratio))  # VTK's y is flipped
        self.hover_display(x, y)

    def hover_display(self, x: int, y: int) -> None:
        """VTK display position (device px, origin bottom-left) -> readout within ~30 ms."""
        self._pending = (x, y)
        if not self._timer.isActive():
            self._timer.start()

    def _update_pending(self) -> None:
        if self._pending is not None:
            x, y = self._pending
            self._pending = None
            self.update_at(x, y)

    def update_at(self, x: int, y: int) -> None:
        """Pick at VTK display (x, y) now and show the readout."""
        point = self._pick(x, y) if self._project is not None else None
        if point is None:
            self.clear()
            return
        wx, wy = float(point[0]), float(point[1])
        crs = self._project.crs if self._project is not None else None
        self.position_label.setText(format_position(wx, wy, crs))
        if self._lonlat is not None:
            lon, lat = self._lonlat.to_lonlat(wx, wy)
            self.lonlat_label.setText(format_lonlat(float(lon), float(lat)))
        else:
            self.lonlat_label.setText(DASH)
        assert self._project is not None
        self.elevation_label.setText(format_elevation(elevation_at(self._project, wx, wy)))
        hovering = self._identify is not None and not self._buttons()
        hit = self._identify(x, y, refresh=False) if hovering else None
        if hit is not None and hit.row is not None:
            self.feature_label.setText(hit.layer.feature_label(hit.row))
        else:
            self.feature_label.setText("")

    def _buttons(self) -> bool:
        """True while a mouse button is held (the view is being dragged: no picking)."""
        return QApplication.mouseButtons() != Qt.MouseButton.NoButton

    def readout(self) -> str:
        """The three readouts as one line (``position | lon/lat | elevation``)."""
        parts = (self.position_label, self.lonlat_label, self.elevation_label)
        return " | ".join(label.text() for label in parts)

    def clear(self) -> None:
        """Show dashes (the cursor is over the background or outside the view)."""
        self.position_label.setText(f"E {DASH}  N {DASH}")
        self.lonlat_label.setText(DASH)
        self.elevation_label.setText(f"elev {DASH}")
        self.feature_label.setText("")

    def stop(self) -> None:
        """Stop following the mouse and background failures (the window is closing)."""
        self._timer.stop()
        self._view.removeEventFilter(self)
        remove_colour_listener(self._on_colour_problem)
