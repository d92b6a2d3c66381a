"""Entry point: ``python -m benchmarks.buildings [--help]`` (also each case's child process)."""

from benchmarks.buildings.runner import main

raise SystemExit(main())
