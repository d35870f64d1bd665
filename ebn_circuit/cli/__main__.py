import sys

from ebn_circuit.cli import main

sys.exit(main())
