"""``python -m symrules``: the command line (see :mod:`symrules.explore.cli`)."""

import sys

from .explore.cli import main

sys.exit(main())
