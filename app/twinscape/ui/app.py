"""Start the Twinscape desktop application.

``twinscape-gui [PATH ...]`` and ``twinscape open [PATH ...]`` land here. PATH is
a project file (``.toml``) or DEM rasters (shown in a new, unsaved project);
without one the demo scene opens.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from twinscape import __version__

ORGANIZATION = "Twinscape"
APPLICATION = "Twinscape"


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="twinscape-gui", description="Twinscape 3D digital twin")
    parser.add_argument(
        "paths",
        nargs="*",
        help="a project (.toml), or DEM rasters shown in a "
        "new project; the demo scene when omitted",
    )
    parser.add_argument("--empty", action="store_true", help="start with an empty project")
    parser.add_argument("--version", action="version", version=f"twinscape {__version__}")
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


def _application(argv: Sequence[str]):  # noqa: ANN202 - QApplication, imported lazily
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "twinscape", *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("twinscape")
    if app.style().name().lower() in {"windows", ""}:
        app.setStyle("Fusion")
    return app


def _close_on_sigint(window) -> None:  # noqa: ANN001 - MainWindow
    """Ctrl+C in the terminal closes the window (asking to save) instead of being ignored."""
    from PySide6.QtCore import QTimer

    signal.signal(signal.SIGINT, lambda *_: window.close())
    # Python runs signal handlers only between bytecodes: wake it up regularly
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def _no_display() -> bool:
    """True on Linux with neither an X nor a Wayland display: Qt would abort the process."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the GUI until the main window closes; returns the exit code.

    Parameters
    ----------
    argv
        Command-line arguments without the program name (``sys.argv[1:]`` when None).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(argv)
    if _no_display():
        print(
            "twinscape: error: no display to open a window on (DISPLAY is not set); "
            "use 'twinscape render' to make pictures without one",
            file=sys.stderr,
        )
        return 2
    if sys.platform.startswith("linux") and os.environ.get("DISPLAY"):
        # VTK's Qt widget renders through GLX: prefer X11 (XWayland) over native Wayland
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    app = _application([])

    from twinscape.io.loading import DEMO_SCENE
    from twinscape.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    _close_on_sigint(window)
    if args.paths:
        window.files.open_paths([Path(p) for p in args.paths], ask=False)
    elif not args.empty and Path(DEMO_SCENE).exists():
        window.files.open_path(Path(DEMO_SCENE), ask=False)
    return int(app.exec())


def run(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None) -> int:
    """Open a project or data files (the demo scene when none) in the GUI.

    Used by ``twinscape open [PATH ...]``.
    """
    if paths is None:
        items: list[str] = []
    elif isinstance(paths, (str, os.PathLike)):
        items = [os.fspath(paths)]
    else:
        items = [os.fspath(p) for p in paths]
    return main(items)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
