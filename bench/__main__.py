"""Entry point: `python -m bench run [--quick] [--skip-cv PIPELINE]`, `python -m bench report` or `profile`."""

import sys

from bench.run import main

sys.exit(main())
