"""Entry point: `python -m bench run [--quick] [--skip-cv PIPELINE]` or `python -m bench profile`."""

import sys

from bench.run import main

sys.exit(main())
