"""`python -m ebn_circuit …` is the `ebn-circuit` command."""

import sys

from ebn_circuit.cli import main

sys.exit(main())
