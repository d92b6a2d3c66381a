#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle and smoke-test it (see packaging/README.md).
#
#   packaging/build.sh [extra pyinstaller options]
#
# PYINSTALLER  the pyinstaller to run, from an environment where Twinscape is installed
#              (default: pyinstaller on PATH)
# DIST, WORK   output and scratch folders (default: dist/ and build/ in the repository)
# SMOKE=0      skip the smoke tests
set -euo pipefail
cd "$(dirname "$0")/.."

PYINSTALLER=${PYINSTALLER:-pyinstaller}
DIST=${DIST:-dist}
WORK=${WORK:-build}

"$PYINSTALLER" --noconfirm --distpath "$DIST" --workpath "$WORK" packaging/twinscape.spec "$@"

app="$DIST/twinscape"
echo "bundle: $app ($(du -sh "$app" | cut -f1))"
[ "${SMOKE:-1}" = 0 ] && exit 0

demo="$app/_internal/scenes/deadsea_demo.toml"
"$app/twinscape" --version
"$app/twinscape-gui" --version
"$app/twinscape" validate "$demo"
png=$(mktemp --suffix=.png)
trap 'rm -f "$png"' EXIT
# headless: no DISPLAY, VTK renders through EGL (or OSMesa)
env -u DISPLAY -u WAYLAND_DISPLAY "$app/twinscape" render "$demo" --out "$png" --size 640x360
