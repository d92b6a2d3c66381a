"""The twin as plain Python data: no Qt, no VTK.

Everything here is evented (psygnal): views connect to ``obj.events.<field>``
and the model never calls into a view.
"""

from twinscape.model.bookmarks import Bookmark, CameraView
from twinscape.model.clock import ProjectClock
from twinscape.model.errors import (
    CRSError,
    LoadCancelled,
    MissingCRSError,
    NoReaderError,
    ProjectFileError,
    ReaderError,
    TwinscapeError,
)
from twinscape.model.layers import Layer
from twinscape.model.project import Project
from twinscape.model.raster import RasterGrid
from twinscape.model.style import COLORMAPS, TerrainStyle
from twinscape.model.terrain import TerrainLayer

__all__ = [
    "COLORMAPS",
    "Bookmark",
    "CRSError",
    "CameraView",
    "Layer",
    "LoadCancelled",
    "MissingCRSError",
    "NoReaderError",
    "Project",
    "ProjectClock",
    "ProjectFileError",
    "RasterGrid",
    "ReaderError",
    "TerrainLayer",
    "TerrainStyle",
    "TwinscapeError",
]
