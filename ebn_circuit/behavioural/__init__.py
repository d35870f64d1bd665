"""Behavioural models fitted to transistor-level (or any simulator's) waveforms."""
