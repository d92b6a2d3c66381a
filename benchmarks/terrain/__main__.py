"""Entry point: ``python -m benchmarks.terrain [--help]``."""

from benchmarks.terrain.runner import main

raise SystemExit(main())
