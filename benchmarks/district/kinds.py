"""Block kinds of the synthetic town and, per plot-grid kind, plot and footprint sizes."""

from __future__ import annotations

import numpy as np

# Block kinds. The first ones are cut into a regular grid of plots, the others are civic.
HOUSE, VILLA, APARTMENTS, COURTYARD, OFFICE, TOWER, WAREHOUSE = range(7)
MOSQUE, SOUQ, SCHOOL, HOSPITAL, PARK = range(7, 12)
_GRID_KINDS = 7

#: Per grid kind: plot rows per block, plot frontage range (m).
_PLOT_ROWS = np.array([2, 2, 2, 1, 2, 1, 2])
_PLOT_W = np.array(
    [(17, 22), (25, 32), (36, 48), (46, 56), (38, 52), (50, 62), (55, 72)], dtype=float
)
#: Footprint size ranges (m) per grid kind: along the street and in depth.
_FOOT_W = np.array(
    [(12, 16), (15, 20), (28, 42), (40, 48), (30, 44), (24, 36), (42, 60)], dtype=float
)
_FOOT_D = np.array(
    [(12, 18), (13, 18), (20, 28), (52, 62), (18, 28), (24, 34), (18, 28)], dtype=float
)
#: Front setback ranges (m) per grid kind.
_FRONT = np.array([(3, 6), (5, 8), (3, 5), (3, 5), (4, 6), (8, 14), (6, 9)], dtype=float)
#: Share of L-shaped footprints per grid kind.
_L_SHARE = np.array([0.10, 0.15, 0.10, 0.0, 0.15, 0.0, 0.05])

#: Inner edge margin of a block before plots start (m).
_EDGE = 2.0
