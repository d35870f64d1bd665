"""Circuits layer (see DESIGN.md)."""
