"""How often learning stays locked in firing on every step, by how the rule samples V_before.

    .venv/bin/python benchmarks/bench_network_lockup.py [--decoders 10] [--trials 20]

A chip whose DACs all have gain 2 (each code step moves V by 2δ and the random initial weights
are twice as strong) is trained from the §5.2 start on `--decoders` seeds; a run counts as
locked if its last training trial still has more than 5 000 spikes (of 10 000 steps). With
the 1 ms synapse, V_before taken at the spike misses the charge still on its way, so the
rule's feedback is delayed (docs/network.md, "Sampling time and a lock-up").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ebn_circuit.network.params import NetworkParams, initial_codes, make_decoder
from ebn_circuit.network.substrate import Substrate
from ebn_circuit.network.training import train
from ebn_circuit.network.units import Units

sys.path.insert(0, str(Path(__file__).resolve().parent))
from table import print_table  # noqa: E402

VARIANTS = {"defaults (1 ms synapse, sampled at the spike)": {}, "rule_sample = settled": {"rule_sample": "settled"},
            "tau_syn_fast = 0": {"tau_syn_fast": 0.0}, "margin = 0.1": {"margin": 0.1}}


def gain_table(gain: float, params: NetworkParams, units: Units = Units()) -> pd.DataFrame:
    codes = np.arange(params.code_min, params.code_max + 1)
    return pd.DataFrame({"instance": 0, "code": codes, "current": units.current_from_jump(gain * codes * params.delta)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decoders", type=int, default=10)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--gains", type=float, nargs="+", default=[1.0, 2.0])
    args = ap.parse_args()
    rows = []
    for label, change in VARIANTS.items():
        p = NetworkParams().with_(**change)
        cells = []
        for gain in args.gains:
            locked = 0
            for seed in range(args.decoders):
                rng = np.random.default_rng(seed)
                decoder, codes0 = make_decoder(p, rng), initial_codes(p, rng)
                chip = Substrate.from_dac_table(gain_table(gain, p), p, rng)
                history = train(p, decoder, codes0, np.random.default_rng(1), args.trials, substrate=chip)
                locked += int(history.n_spikes[-1] > 5000)
            cells.append(f"{locked}/{args.decoders}")
        rows.append((label, *cells))
    print(f"Runs still firing on every step after {args.trials} trials, by DAC gain")
    print_table(("variant", *(f"gain {g:g}" for g in args.gains)), rows)


if __name__ == "__main__":
    main()
