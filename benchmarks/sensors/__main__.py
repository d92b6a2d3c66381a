"""Entry point: ``python -m benchmarks.sensors [--help]``."""

from benchmarks.sensors.runner import main

raise SystemExit(main())
