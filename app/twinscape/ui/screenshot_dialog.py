"""File > Screenshot: where to save the PNG, its size, background and overlays."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from twinscape.render.overlays import OVERLAY_NAMES, OverlayOptions

#: (label, size) of the preset sizes; None is the view's own size.
PRESETS: tuple[tuple[str, tuple[int, int] | None], ...] = (
    ("Window", None),
    ("Full HD", (1920, 1080)),
    ("4K UHD", (3840, 2160)),
    ("8K UHD", (7680, 4320)),
)
CUSTOM = "custom"
#: Largest side of a custom size (the renderer tiles bigger pictures; see render/offscreen).
MAX_SIDE = 8192
OVERLAY_LABELS = {
    "scale": "Scale bar",
    "north": "North arrow",
    "legend": "Legend",
    "attribution": "Data attribution",
    "title": "Title",
    "time": "Time stamp",
}


class ScreenshotDialog(QDialog):
    """Asks for a PNG path, a size (up to 8K, any window size) and the picture's options.

    Parameters
    ----------
    view_size
        The 3D view's size in device pixels (the "Window" preset).
    suggested
        Path the dialog starts with.
    title
        The title overlay's text to start with (the project's name).
    """

    def __init__(
        self,
        view_size: tuple[int, int],
        suggested: Path,
        parent: QWidget | None = None,
        *,
        title: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Screenshot")
        self.setMinimumWidth(540)
        self.view_size = (int(view_size[0]), int(view_size[1]))
        self.path_edit = QLineEdit(str(suggested))
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Size", self._size_row())
        self.transparent_check = QCheckBox("Transparent background (sky left out)")
        form.addRow("Background", self.transparent_check)
        form.addRow("Overlays", self._overlay_grid())
        self.title_edit = QLineEdit(title)
        self.title_edit.setPlaceholderText("Title shown on the picture")
        form.addRow("Title", self.title_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setLayout(form)
        self._preset_changed()

    def _size_row(self) -> QWidget:
        self.size_combo = QComboBox()
        for label, size in PRESETS:
            w, h = size or self.view_size
            self.size_combo.addItem(f"{label}  ({w} \u00d7 {h} px)", size)
        self.size_combo.addItem("Custom\u2026", CUSTOM)
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, value in zip((self.width_spin, self.height_spin), self.view_size):
            spin.setRange(16, MAX_SIDE)
            spin.setValue(min(max(value, 16), MAX_SIDE))
            spin.setSuffix(" px")
        self.size_combo.currentIndexChanged.connect(self._preset_changed)
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.size_combo, 1)
        row.addWidget(self.width_spin)
        row.addWidget(QLabel("\u00d7"))
        row.addWidget(self.height_spin)
        return box

    def _overlay_grid(self) -> QWidget:
        self.overlay_checks: dict[str, QCheckBox] = {}
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, name in enumerate(OVERLAY_NAMES):
            check = QCheckBox(OVERLAY_LABELS[name])
            check.setObjectName(f"overlay_{name}")
            self.overlay_checks[name] = check
            grid.addWidget(check, i // 3, i % 3)
        return box

    def _preset_changed(self, *_: object) -> None:
        custom = self.size_combo.currentData() == CUSTOM
        self.width_spin.setEnabled(custom)
        self.height_spin.setEnabled(custom)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Screenshot", self.path_edit.text(), "PNG images (*.png)"
        )
        if path:
            self.path_edit.setText(path)

    # -- the answers ---------------------------------------------------------------------
    def select_size(self, size: tuple[int, int] | None) -> None:
        """Choose a preset (None: the window) or, for any other size, Custom with it."""
        for i in range(self.size_combo.count() - 1):
            if self.size_combo.itemData(i) == size:
                self.size_combo.setCurrentIndex(i)
                return
        assert size is not None
        self.size_combo.setCurrentIndex(self.size_combo.count() - 1)
        self.width_spin.setValue(size[0])
        self.height_spin.setValue(size[1])

    @property
    def path(self) -> Path:
        """The chosen file, with a .png suffix."""
        path = Path(self.path_edit.text().strip()).expanduser()
        return path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")

    @property
    def picture_size(self) -> tuple[int, int] | None:
        """(width, height) in pixels; None: the window's size, grabbed from the view."""
        data = self.size_combo.currentData()
        if data == CUSTOM:
            return self.width_spin.value(), self.height_spin.value()
        return None if data is None else (int(data[0]), int(data[1]))

    @property
    def transparent(self) -> bool:
        """Leave the sky transparent (PNG alpha)."""
        return self.transparent_check.isChecked()

    @property
    def overlays(self) -> OverlayOptions:
        """The overlays ticked, with the title typed."""
        shown = frozenset(name for name, check in self.overlay_checks.items() if check.isChecked())
        title = self.title_edit.text().strip()
        return OverlayOptions(show=shown, title=title or None)
