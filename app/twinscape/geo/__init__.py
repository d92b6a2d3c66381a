"""Coordinates and terrain maths: CRS, local origin, sampling (numpy, pyproj)."""
