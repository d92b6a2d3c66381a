"""Command line: ``python -m benchmarks.district --count N --out FILE.gpkg``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.district import DEMO_CENTER, DEMO_SEED, generate_district


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.district --count N --out FILE.gpkg``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.district",
        description="Write a synthetic planned town (building footprints) to a GeoPackage.",
    )
    parser.add_argument("--count", type=int, default=350, help="number of buildings")
    parser.add_argument("--out", type=Path, required=True, help="output .gpkg")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument(
        "--center",
        type=float,
        nargs=2,
        metavar=("X", "Y"),
        default=DEMO_CENTER,
        help="centre in --crs (default: the demo plan's)",
    )
    parser.add_argument("--crs", default="EPSG:32636")
    parser.add_argument("--rotation", type=float, default=0.0, help="grid turn, degrees CCW")
    parser.add_argument("--layer", default="buildings")
    args = parser.parse_args(argv)
    gdf = generate_district(
        tuple(args.center),
        count=args.count,
        seed=args.seed,
        crs=args.crs,
        rotation_deg=args.rotation,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():
        args.out.unlink()
    gdf.to_file(args.out, layer=args.layer, driver="GPKG", engine="pyogrio")
    counts = gdf["building"].value_counts()
    print(f"{args.out}: {len(gdf)} buildings, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
