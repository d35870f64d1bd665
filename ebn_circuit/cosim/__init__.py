"""Co-simulation: k network neurons as transistor-level circuits in a lock-stepped ngspice, the
others in the NumPy network (docs/cosim.md).

circuit (the hybrid circuit; the one module that uses the circuit builders), calibrate (trims and
the synapse's jump per code), plant (the plant interface and its exact stand-ins), transistor (the
sky130 plant), loop (one trial), training (the §5.2 protocol with checkpoints), exactness.
"""
