"""``python -m simulation`` is the same as the ``ipsim`` command."""

import sys

from simulation.cli import main

sys.exit(main())
