"""File > Screenshot: where to save the PNG and how large to make it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

SCALES = (1, 2, 3, 4)


class ScreenshotDialog(QDialog):
    """Asks for a PNG path and a scale (the picture can be larger than the screen).

    Parameters
    ----------
    view_size
        The 3D view's size in device pixels, to show the resulting size.
    suggested
        Path the dialog starts with.
    """

    def __init__(
        self, view_size: tuple[int, int], suggested: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Screenshot")
        self.setMinimumWidth(520)
        self.path_edit = QLineEdit(str(suggested))
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.scale_combo = QComboBox()
        width, height = view_size
        for scale in SCALES:
            label = f"{scale}\u00d7  ({width * scale} \u00d7 {height * scale} px)"
            self.scale_combo.addItem(label, scale)
        self.scale_combo.setCurrentIndex(1 if width * 2 <= 8192 else 0)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Size", self.scale_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setLayout(form)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Screenshot", self.path_edit.text(), "PNG images (*.png)"
        )
        if path:
            self.path_edit.setText(path)

    @property
    def path(self) -> Path:
        """The chosen file, with a .png suffix."""
        path = Path(self.path_edit.text().strip()).expanduser()
        return path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")

    @property
    def scale(self) -> int:
        """1 to 4 times the view size."""
        return int(self.scale_combo.currentData())
