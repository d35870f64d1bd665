"""Package data: default spec limits and the IC runs' configurations (read with importlib.resources)."""
