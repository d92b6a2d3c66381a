"""Twinscape: a desktop 3D digital twin for desert and mountain terrain."""

__version__ = "0.1.0"
