"""python -m tracegrad.viz.cli: the tracegrad command."""

import sys

from . import main

sys.exit(main())
