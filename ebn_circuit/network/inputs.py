"""The §5.2 input generator: smoothed white noise command c(t) and the target x(t)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import fft
from scipy.signal import lfilter

from ebn_circuit.errors import ConfigError
from ebn_circuit.network.params import NetworkParams


def gaussian_kernel(n_steps: int = 10_000, sigma: float = 30.0) -> np.ndarray:
    """Normalised Gaussian on n_steps points spanning 1…1000, centred at 500 (§5.2)."""
    grid = np.linspace(1.0, 1000.0, n_steps)
    kernel = np.exp(-((grid - 500.0) ** 2) / (2.0 * sigma**2))
    return kernel / kernel.sum()


def command_signal(
    params: NetworkParams,
    rng: np.random.Generator,
    n_steps: int = 10_000,
    amplitude: float = 5000.0,
    sigma: float = 30.0,
    n_silent: int = 100,
) -> np.ndarray:
    """Command c (J × n_steps, units of x per second): white noise, first n_silent samples
    zeroed, smoothed by the §5.2 kernel (defined on 10 000 points whatever n_steps, so the
    smoothing width stays 30 ms), scaled by amplitude."""
    if n_steps < 1 or n_silent < 0:
        raise ConfigError(f"command_signal: n_steps={n_steps} and n_silent={n_silent} must be >= 1 and >= 0")
    white = rng.standard_normal((params.n_dims, n_steps))
    white[:, :n_silent] = 0.0
    n_fft, kernel_spectrum = _kernel_spectrum(n_steps, sigma)
    smooth = fft.irfft(fft.rfft(white, n_fft, axis=1) * kernel_spectrum, n_fft, axis=1)
    start = (10_000 - 1) // 2  # the full linear convolution's 'same' part
    return amplitude * smooth[:, start : start + n_steps]


@lru_cache(maxsize=8)
def _kernel_spectrum(n_steps: int, sigma: float) -> tuple[int, np.ndarray]:
    """FFT length for the full linear convolution and the kernel's spectrum (computed once)."""
    n_fft = fft.next_fast_len(n_steps + 10_000 - 1, real=True)
    return n_fft, fft.rfft(gaussian_kernel(10_000, sigma), n_fft)


def target_signal(command: np.ndarray, params: NetworkParams) -> np.ndarray:
    """x from dx/dt = -λd·x + c, Euler steps of dt starting at 0 (J × n_steps)."""
    a = 1.0 - params.lambda_d * params.dt
    return lfilter([params.dt], [1.0, -a], command, axis=1)
