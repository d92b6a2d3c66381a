"""PyInstaller entry script for the ``twinscape-gui`` executable (see twinscape.spec).

Does what the ``twinscape-gui`` gui-script of a pip install does.
"""

from twinscape.ui.app import main

raise SystemExit(main())
