"""Measure layer: waveform readers and events in sampled signals (pure numpy)."""

from ebn_circuit.measure.events import (crossings, firing_rate, pulses, sample_before, settling_time,
                                        spike_times)
from ebn_circuit.measure.waveforms import (align, read_raw_frame, read_viewer_csv, read_viewer_csv_dir,
                                           to_long)

__all__ = ["align", "crossings", "firing_rate", "pulses", "read_raw_frame", "read_viewer_csv",
           "read_viewer_csv_dir", "sample_before", "settling_time", "spike_times", "to_long"]
