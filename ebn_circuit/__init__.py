"""ebn_circuit: on-chip learning circuits of efficient balanced networks, on an open PDK.

Layers (top to bottom, see DESIGN.md): technology, circuits, spice, sweep, measure,
extract/behavioural, network, cosim, experiments, cli.
"""

from ebn_circuit.errors import EbnCircuitError

__version__ = "0.1.0"
__all__ = ["EbnCircuitError", "__version__"]
