"""Network layer: NumPy EBN simulator with the discrete learning rule (SCIENCE.md §1, §2, §5.2),
ideal or on per-instance (mismatched) transfer curves."""
