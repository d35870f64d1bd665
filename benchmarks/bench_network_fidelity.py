"""Figure 1 (SCIENCE.md §5.2) over 10 seeds: every number as median [min, max], on the seeds the
defaults were chosen on (0–9) and on held-out seeds (100–109), and the goals of issue 19.

    .venv/bin/python benchmarks/bench_network_fidelity.py [--trials 51] [--set FIELD=VALUE ...] [--json FILE]

Same numbers as `ebn-circuit network reproduce --seeds 0-9` (and 100-109), without files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ebn_circuit.network.params import NetworkParams, parse_field
from ebn_circuit.network.study import goals_met, seed_study, summarise_seeds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from table import print_table  # noqa: E402

SEED_SETS = {"tuning 0–9": range(0, 10), "held-out 100–109": range(100, 110)}
SHOWN = ["correlation", "slope", "offset", "script_distance_initial", "script_distance_learned",
         "frobenius_initial", "frobenius_learned", "error_initial", "error_learned", "error_optimal",
         "error_ratio", "error_matrix_learned", "error_matrix_optimal", "error_matrix_ratio",
         "spikes_initial", "spikes_learned", "spikes_optimal", "spike_ratio", "v_mean_learned",
         "v_mean_optimal", "distinct_values"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=51)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    changes = dict(item.split("=", 1) for item in args.set)
    params = NetworkParams().with_(**{k: parse_field(k, v) for k, v in changes.items()})
    summaries, goals = {}, {}
    for name, seeds in SEED_SETS.items():
        table = seed_study(seeds, params, args.trials)
        summaries[name], goals[name] = summarise_seeds(table), goals_met(table)

    def cell(s, metric):
        r = s.loc[metric]
        fmt = "{:.0f}" if metric.startswith(("spikes", "distinct")) else "{:.3f}"
        return f"{fmt.format(r['median'])} [{fmt.format(r['min'])}, {fmt.format(r['max'])}]"

    print(f"Figure 1 over 10 seeds, {args.trials} trials, median [min, max]; params changed: {changes or 'none'}")
    print_table(("metric", *SEED_SETS), [(m, *(cell(summaries[s], m) for s in SEED_SETS)) for m in SHOWN])
    print()
    print_table(("goal (median over seeds)", *SEED_SETS),
                [(f"{k} {v['goal']}", *(f"{goals[s][k]['median']:.3f} {'met' if goals[s][k]['met'] else 'NOT met'}"
                                        for s in SEED_SETS)) for k, v in goals[next(iter(SEED_SETS))].items()])
    if args.json:
        Path(args.json).write_text(json.dumps({s: {"summary": summaries[s].to_dict(orient="index"),
                                                   "goals": goals[s]} for s in SEED_SETS}, indent=2))


if __name__ == "__main__":
    main()
