"""Experiments layer (see DESIGN.md)."""
