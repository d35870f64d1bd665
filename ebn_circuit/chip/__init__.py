"""Chip layer: per-instance parameter tables extracted from sky130 Monte Carlo (``measure``,
``tables``), the mismatch model fitted to them (``model``) and the behavioural twin of the IC
learning loop built from one instance's parameters (``twin``)."""
