"""Measure layer: waveform readers and events in sampled signals (pure numpy)."""

from ebn_circuit.measure.events import (crossings, firing_rate, pulses, sample_before, settling_time,
                                        spike_times)
from ebn_circuit.measure.waveforms import (align, detect_format, read_psf_ascii, read_raw_frame, read_spectre_csv,
                                           read_viewer_csv, read_viewer_csv_dir, read_waveforms, read_xyce,
                                           to_long)

__all__ = ["align", "crossings", "detect_format", "firing_rate", "pulses", "read_psf_ascii", "read_raw_frame",
           "read_spectre_csv", "read_viewer_csv", "read_viewer_csv_dir", "read_waveforms", "read_xyce",
           "sample_before", "settling_time", "spike_times", "to_long"]
