"""Which files Twinscape opens (open dialogs, drag-and-drop, CLI): projects, or a layer kind's data.

Data files are recognised by the layer kinds' registry (io/kinds), which sniffs the
content where a suffix is ambiguous (a ``.json`` may be GeoJSON or CityJSON).
"""

from __future__ import annotations

import os
from pathlib import Path

from twinscape.io.kinds import kind_for_path
from twinscape.io.png_provenance import has_provenance

#: Suffix of project files.
PROJECT_SUFFIX = ".toml"

#: Filter string for a Qt file dialog listing project files.
PROJECT_FILE_FILTER = f"Twinscape projects (*{PROJECT_SUFFIX})"

#: What :func:`classify_path` returns for a project file.
PROJECT = "project"


def is_project_path(path: str | os.PathLike[str]) -> bool:
    """True when the name ends in :data:`PROJECT_SUFFIX` (any case)."""
    return Path(path).name.lower().endswith(PROJECT_SUFFIX)


def is_screenshot_path(path: str | os.PathLike[str]) -> bool:
    """True for a Twinscape screenshot (a PNG with a camera in its provenance chunks).

    Opening one restores its camera and clock in the open project; it is not data.
    """
    return has_provenance(path)


def classify_path(path: str | os.PathLike[str]) -> str:
    """Say what a path is: :data:`PROJECT`, or the name of the layer kind that reads it.

    The file is at most peeked at, so a data file may still fail to read.

    Raises
    ------
    NoReaderError
        For any other kind of file, with a hint listing what can be opened.
    """
    if is_project_path(path):
        return PROJECT
    return kind_for_path(path).name
