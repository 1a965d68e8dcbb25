"""``python -m enricher`` is the ``enricher`` command."""

import sys

from enricher.cli import main

sys.exit(main())
