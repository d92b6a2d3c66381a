"""``python -m twinscape`` runs the command-line interface."""

from twinscape.cli import main

raise SystemExit(main())
