"""Signed weight codes in two's complement: the counter holds them, the DACs read their bits."""

from __future__ import annotations

from ebn_circuit.errors import ConfigError

BITS = 6


def code_range(bits: int = BITS) -> tuple[int, int]:
    """Smallest and largest two's-complement code of ``bits`` bits."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def bit_names(bits: int = BITS) -> tuple[str, ...]:
    return tuple(f"b{i}" for i in range(bits))


def code_bits(code: int, bits: int = BITS) -> tuple[int, ...]:
    """Two's-complement bits (b0 first) of a code in −2^(bits−1) … 2^(bits−1) − 1."""
    lo, hi = code_range(bits)
    if not (lo <= code <= hi) or int(code) != code:
        raise ConfigError(f"code must be an integer in {lo}…{hi} for {bits} bits, got {code}")
    return tuple(((int(code) & ((1 << bits) - 1)) >> i) & 1 for i in range(bits))


def from_bits(bit_values, bits: int | None = None) -> int:
    """Signed integer from two's-complement bits, b0 first."""
    bit_values = [int(b) for b in bit_values]
    bits = len(bit_values) if bits is None else bits
    value = sum(b << i for i, b in enumerate(bit_values))
    return value - (1 << bits) if bit_values[bits - 1] else value
