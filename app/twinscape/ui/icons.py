"""Icons: the desktop theme's when it has them, else small ones drawn here.

Drawn icons keep the app self-contained (no icon files to ship yet) and look
the same on every platform.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

_SIZE = 64
_INK = QColor("#3b4b5c")
_ACCENT = QColor("#2f7dd1")


def _canvas() -> tuple[QPixmap, QPainter]:
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pixmap, painter


def _pen(color: QColor = _INK, width: float = 5.0) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _terrain(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#c9a46b"))
    p.drawPolygon(
        QPolygonF(
            [QPointF(2, 56), QPointF(22, 20), QPointF(34, 38), QPointF(44, 26), QPointF(62, 56)]
        )
    )
    p.setBrush(QColor("#8a5f3a"))
    p.drawPolygon(QPolygonF([QPointF(22, 20), QPointF(34, 38), QPointF(28, 56), QPointF(14, 56)]))
    p.setBrush(QColor("#f4efe6"))
    p.drawPolygon(QPolygonF([QPointF(22, 20), QPointF(27, 29), QPointF(17, 29)]))


def _add_data(p: QPainter) -> None:
    _terrain(p)
    p.setBrush(QColor("#2e9d4f"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QRectF(34, 0, 30, 30))
    p.setPen(_pen(QColor("white"), 5))
    p.drawLine(QPointF(49, 7), QPointF(49, 23))
    p.drawLine(QPointF(41, 15), QPointF(57, 15))


def _zoom_all(p: QPainter) -> None:
    p.setPen(_pen(_INK, 5))
    for x, y, dx, dy in ((6, 6, 1, 1), (58, 6, -1, 1), (6, 58, 1, -1), (58, 58, -1, -1)):
        p.drawLine(QPointF(x, y), QPointF(x + 14 * dx, y))
        p.drawLine(QPointF(x, y), QPointF(x, y + 14 * dy))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#c9a46b"))
    p.drawPolygon(
        QPolygonF(
            [QPointF(16, 46), QPointF(28, 24), QPointF(36, 36), QPointF(40, 30), QPointF(48, 46)]
        )
    )


def _camera(p: QPainter) -> None:
    p.setPen(_pen(_INK, 4))
    p.setBrush(QBrush(QColor("#dfe6ee")))
    p.drawRoundedRect(QRectF(6, 18, 52, 36), 6, 6)
    p.drawRect(QRectF(22, 10, 20, 8))
    p.setBrush(QBrush(_ACCENT))
    p.drawEllipse(QRectF(21, 24, 22, 22))


def _bookmark(p: QPainter) -> None:
    path = QPainterPath()
    path.moveTo(16, 6)
    path.lineTo(48, 6)
    path.lineTo(48, 58)
    path.lineTo(32, 44)
    path.lineTo(16, 58)
    path.closeSubpath()
    p.setPen(_pen(_INK, 3))
    p.setBrush(QColor("#e8b339"))
    p.drawPath(path)


def _arrow(p: QPainter, up: bool) -> None:
    p.setPen(_pen(_INK, 6))
    y0, y1 = (52, 12) if up else (12, 52)
    p.drawLine(QPointF(32, y0), QPointF(32, y1))
    tip = 14 if up else -14
    p.drawLine(QPointF(32, y1), QPointF(18, y1 + tip))
    p.drawLine(QPointF(32, y1), QPointF(46, y1 + tip))


def _remove(p: QPainter) -> None:
    p.setPen(_pen(QColor("#c0392b"), 7))
    p.drawLine(QPointF(16, 16), QPointF(48, 48))
    p.drawLine(QPointF(48, 16), QPointF(16, 48))


def _go(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_ACCENT)
    p.drawPolygon(QPolygonF([QPointF(18, 10), QPointF(54, 32), QPointF(18, 54)]))


def _rename(p: QPainter) -> None:
    p.setPen(_pen(_INK, 5))
    p.drawLine(QPointF(14, 50), QPointF(46, 18))
    p.setPen(_pen(QColor("#e8b339"), 9))
    p.drawLine(QPointF(20, 44), QPointF(44, 20))
    p.setPen(_pen(_INK, 4))
    p.drawLine(QPointF(8, 58), QPointF(56, 58))


def _globe(p: QPainter) -> None:
    p.setPen(_pen(_ACCENT, 4))
    p.setBrush(QColor("#e6f0fa"))
    p.drawEllipse(QRectF(6, 6, 52, 52))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QRectF(20, 6, 24, 52))
    p.drawLine(QPointF(6, 32), QPointF(58, 32))
    p.drawLine(QPointF(32, 6), QPointF(32, 58))


def _buildings(p: QPainter) -> None:
    p.setPen(_pen(_INK, 3))
    p.setBrush(QColor("#e8dcc4"))
    p.drawRect(QRectF(6, 26, 20, 32))
    p.setBrush(QColor("#d6c29c"))
    p.drawRect(QRectF(30, 8, 18, 50))
    p.setBrush(QColor("#c9a46b"))
    p.drawRect(QRectF(50, 34, 10, 24))
    p.setPen(_pen(_ACCENT, 3))
    for y in (16, 26, 36, 46):
        p.drawLine(QPointF(35, y), QPointF(43, y))


def _model(p: QPainter) -> None:
    p.setPen(_pen(_INK, 3))
    p.setBrush(QColor("#dfe6ee"))
    p.drawPolygon(QPolygonF([QPointF(32, 6), QPointF(58, 20), QPointF(32, 34), QPointF(6, 20)]))
    p.setBrush(QColor("#b8c7d8"))
    p.drawPolygon(QPolygonF([QPointF(6, 20), QPointF(32, 34), QPointF(32, 60), QPointF(6, 46)]))
    p.setBrush(QColor("#8fa6bf"))
    p.drawPolygon(QPolygonF([QPointF(58, 20), QPointF(32, 34), QPointF(32, 60), QPointF(58, 46)]))


def _layer(p: QPainter) -> None:
    p.setPen(_pen(_INK, 3))
    for offset, colour in ((16, "#b8c7d8"), (0, "#dfe6ee")):
        p.setBrush(QColor(colour))
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(32, 12 + offset),
                    QPointF(58, 24 + offset),
                    QPointF(32, 36 + offset),
                    QPointF(6, 24 + offset),
                ]
            )
        )


def _sensors(p: QPainter) -> None:
    p.setPen(_pen(_INK, 4))
    p.drawLine(QPointF(32, 60), QPointF(32, 28))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#e8453c"))
    p.drawEllipse(QRectF(22, 14, 20, 20))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(_pen(_ACCENT, 4))
    for radius in (18, 28):
        p.drawArc(QRectF(32 - radius, 24 - radius, 2 * radius, 2 * radius), 30 * 16, 120 * 16)


def _surface(p: QPainter) -> None:
    colours = ("#00e400", "#ffff00", "#ff7e00", "#ff0000")
    p.setPen(Qt.PenStyle.NoPen)
    for i, colour in enumerate(colours):
        p.setBrush(QColor(colour))
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(6 + 13 * i, 44 - 6 * i),
                    QPointF(19 + 13 * i, 38 - 6 * i),
                    QPointF(19 + 13 * i, 58 - 6 * i),
                    QPointF(6 + 13 * i, 62 - 6 * i),
                ]
            )
        )


def _placed(p: QPainter) -> None:
    """A lattice pylon carrying two sagging conductors."""
    p.setPen(_pen(_INK, 4))
    p.drawLine(QPointF(18, 60), QPointF(29, 10))
    p.drawLine(QPointF(46, 60), QPointF(35, 10))
    p.setPen(_pen(_INK, 2.5))  # X braces between the legs
    for (xl0, xr0, y0), (xl1, xr1, y1) in (((18, 46, 60), (22, 42, 40)),
                                           ((22, 42, 40), (26, 38, 22))):  # fmt: skip
        p.drawLine(QPointF(xl0, y0), QPointF(xr1, y1))
        p.drawLine(QPointF(xr0, y0), QPointF(xl1, y1))
    p.setPen(_pen(_INK, 4))
    p.drawLine(QPointF(8, 20), QPointF(56, 20))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(_pen(_ACCENT, 3))
    path = QPainterPath()
    for x, end in ((8, -4), (56, 68)):  # an insulator, then the conductor sagging away
        path.moveTo(x, 20)
        path.lineTo(x, 27)
        path.quadTo((x + end) / 2, 29, end, 34)
    p.drawPath(path)


def _analysis(p: QPainter) -> None:
    """Contour classes of the ground, and an eye (what is seen from where)."""
    p.setPen(_pen(_INK, 2))
    for rect, colour in (
        (QRectF(2, 14, 52, 48), "#bfe3b4"),
        (QRectF(10, 24, 36, 30), "#7cc576"),
        (QRectF(18, 32, 20, 16), "#2e9d4f"),
    ):
        p.setBrush(QColor(colour))
        p.drawEllipse(rect)
    eye = QPainterPath()
    eye.moveTo(30, 14)
    eye.quadTo(46, -2, 62, 14)
    eye.quadTo(46, 30, 30, 14)
    p.setPen(_pen(_INK, 3))
    p.setBrush(QColor("white"))
    p.drawPath(eye)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_ACCENT)
    p.drawEllipse(QRectF(40, 8, 12, 12))


def _imagery(p: QPainter) -> None:
    """A framed photograph: sky, a sun and a hill."""
    p.setPen(_pen(_INK, 4))
    p.setBrush(QColor("#bfe0f5"))
    p.drawRoundedRect(QRectF(6, 12, 52, 40), 4, 4)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#f2c14e"))
    p.drawEllipse(QRectF(40, 18, 10, 10))
    p.setBrush(QColor("#6aa84f"))
    p.drawPolygon(QPolygonF([QPointF(8, 50), QPointF(24, 30), QPointF(36, 42), QPointF(56, 50)]))


def _identify(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_ACCENT)
    p.drawEllipse(QRectF(6, 6, 52, 52))
    p.setBrush(QColor("white"))
    p.drawEllipse(QRectF(28, 14, 8, 8))
    p.drawRoundedRect(QRectF(28, 27, 8, 23), 3, 3)


_DRAWN = {
    "crs": _globe,
    "buildings": _buildings,
    "model": _model,
    "layer": _layer,
    "identify": _identify,
    "sensors": _sensors,
    "surface": _surface,
    "placed": _placed,
    "analysis": _analysis,
    "imagery": _imagery,
    "terrain": _terrain,
    "add-data": _add_data,
    "zoom-all": _zoom_all,
    "screenshot": _camera,
    "bookmark": _bookmark,
    "move-up": lambda p: _arrow(p, True),
    "move-down": lambda p: _arrow(p, False),
    "remove": _remove,
    "go": _go,
    "rename": _rename,
}

_THEME = {
    "new": "document-new",
    "open": "document-open",
    "save": "document-save",
    "save-as": "document-save-as",
    "quit": "application-exit",
}


@cache
def icon(name: str) -> QIcon:
    """The icon called ``name`` (drawn, or from the theme with a standard fallback)."""
    if name in _DRAWN:
        pixmap, painter = _canvas()
        _DRAWN[name](painter)
        painter.end()
        return QIcon(pixmap)
    theme = _THEME.get(name, name)
    if QIcon.hasThemeIcon(theme):
        return QIcon.fromTheme(theme)
    from PySide6.QtWidgets import QApplication, QStyle

    fallback = {
        "new": QStyle.StandardPixmap.SP_FileIcon,
        "open": QStyle.StandardPixmap.SP_DialogOpenButton,
        "save": QStyle.StandardPixmap.SP_DialogSaveButton,
        "save-as": QStyle.StandardPixmap.SP_DialogSaveButton,
        "quit": QStyle.StandardPixmap.SP_DialogCloseButton,
    }.get(name, QStyle.StandardPixmap.SP_FileIcon)
    return QApplication.style().standardIcon(fallback)
