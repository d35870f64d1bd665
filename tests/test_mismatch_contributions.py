"""Mismatch of one device group at a time (circuits.mismatch) and the contribution study
(experiments.mismatch_contributions), on real sky130 Monte-Carlo runs."""

import numpy as np
import pandas as pd
import pytest

from ebn_circuit.circuits.analysis import Op
from ebn_circuit.circuits.mismatch import ALL, OTHER, DeviceGroup, assign, only_mismatch_in, transistors
from ebn_circuit.circuits.schematic import Schematic, Size
from ebn_circuit.circuits.testbench import Testbench
from ebn_circuit.cli import main
from ebn_circuit.errors import ConfigError
from ebn_circuit.experiments import mismatch_contributions as mc

NODES = ("dn0", "dn1", "dn2", "dp0", "dp1")


def _diodes(tech, seed):
    """Five diodes at 1 nA (three nFETs, one of them 2 parallel units, two pFETs): their V_gs
    show each device's threshold draw."""
    s = Schematic(tech, vss="0")
    s.voltage("dd", "vdd", "0", 1.8)
    for k in range(3):
        s.bias(f"n{k}", "n", f"dn{k}", 1e-9, Size(2e-6, 2e-6, 2 if k == 2 else 1))
    for k in range(2):
        s.bias(f"p{k}", "p", f"dp{k}", 1e-9, Size(2e-6, 2e-6))
    return Testbench("diodes", s.text(), Op(), tech.with_mismatch(seed is not None), seed=seed,
                     options=(("gmin", "1e-15"),))


def test_one_group_keeps_its_draw_and_the_others_lose_theirs(simulator, sky130_tt):
    """mult=1e12 removes a device's mismatch (the rest of its model is unchanged) and leaves every
    other device's random draw as it was in the same seed."""
    groups = (DeviceGroup("n1", ("",), ("bn1",)), DeviceGroup("n2 and p1", ("",), ("bn2", "bp1")))

    def volts(bench):
        result = simulator.run(bench)
        return np.array([float(result.v(n)[0]) for n in NODES])

    nominal, full = volts(_diodes(sky130_tt, None)), volts(_diodes(sky130_tt, 7))
    spread = np.abs(full - nominal)
    assert spread.min() > 0.2e-3, "every diode moves by more than 0.2 mV under mismatch in this seed"
    for keep, moved in (("n1", {1}), ("n2 and p1", {2, 4}), (OTHER, {0, 3})):
        shifted = volts(only_mismatch_in(_diodes(sky130_tt, 7), groups, keep)) - nominal
        for k in range(len(NODES)):
            if k in moved:
                assert shifted[k] == pytest.approx(full[k] - nominal[k], abs=1e-6), (keep, NODES[k])
            else:
                assert abs(shifted[k]) < 1e-3 * spread[k] + 1e-7, (keep, NODES[k])


def test_groups_cover_every_transistor_and_reject_unknown_names(sky130_tt):
    bench = mc.BLOCKS["learning-block"].bench(mc.BoundsSetup(), sky130_tt.with_mismatch(True))
    groups = mc.BLOCKS["learning-block"].groups(mc.BoundsSetup())
    owners = assign(bench.body, (sky130_tt.nfet, sky130_tt.pfet), groups)
    assert len(owners) == len(transistors(bench.body, (sky130_tt.nfet, sky130_tt.pfet))) > 50
    assert {g.name for g in groups} <= set(owners.values()) | {OTHER}
    assert only_mismatch_in(bench, groups, ALL) is bench
    with pytest.raises(ConfigError, match="no device group"):
        only_mismatch_in(bench, groups, "no such group")
    with pytest.raises(ConfigError, match="mismatch on"):
        only_mismatch_in(_diodes(sky130_tt, None), groups, OTHER)


def test_the_learning_block_setup_decides_a_column_with_mismatch_in_one_group(simulator, sky130_tt):
    """The study's bounds setup is an extraction setup: one column at code 0, one level 1 nA under
    the nominal band and one 1 nA above it, with mismatch in one group only: INC, then DEC."""
    from ebn_circuit.extract.learning_block import run_levels
    from ebn_circuit.rule import DEC, INC

    setup = mc.BoundsSetup()
    groups = mc.BLOCKS["learning-block"].groups(setup)
    lower, upper = setup.block.bounds(0.0)
    sim = mc.GroupSimulator(simulator, groups, groups[0].name)
    table, _ = run_levels(sim, sky130_tt.with_mismatch(True), setup, 0, (lower - 1e-9, upper + 1e-9), seed=3)
    assert list(table["decision"]) == [INC, DEC]


def test_contributions_table_from_known_deviations():
    """Two groups with deviations ±1 and ±2 nA over four seeds: σ, shares and the quadrature sum."""
    rows = [{"group": mc.NOMINAL, "seed": -1, "q": 5e-9}]
    for seed, sign in zip(range(1, 5), (1, -1, 1, -1)):
        rows += [{"group": "a", "seed": seed, "q": 5e-9 + sign * 1e-9},
                 {"group": "b", "seed": seed, "q": 5e-9 - sign * 2e-9},
                 {"group": ALL, "seed": seed, "q": 5e-9 - sign * 1e-9}]
    table = mc.contributions(pd.DataFrame(rows)).set_index("group")
    sigma_a, sigma_b = np.std([1, -1, 1, -1], ddof=1) * 1e-9, np.std([2, -2, 2, -2], ddof=1) * 1e-9
    assert table.loc["a", "sigma"] == pytest.approx(sigma_a)
    assert table.loc["b", "share"] == pytest.approx(4 / 5)
    assert table.loc["sum of groups", "sigma"] == pytest.approx(np.hypot(sigma_a, sigma_b))
    assert "sum of groups" in mc.markdown(table.reset_index(), "neuron", range(1, 5))


def test_neuron_groups_add_up_to_the_whole_instance(tmp_path, sky130_tt, sim_settings):
    """The loop neuron at its drive, two seeds: the groups' deviations of I_mem add up to the
    all-devices deviation (small mismatch is nearly linear: within 25 % here), the diode that
    supplies I_mem, which only loads the output's drain, moves it by < 2 % of that, and the study
    writes the table and the chart."""
    table = mc.study("neuron", tmp_path, sky130_tt, sim_settings, seeds=(1, 2), log=lambda *_: None)
    runs = pd.read_csv(tmp_path / "runs.csv")
    nominal = runs.loc[runs["group"] == mc.NOMINAL, "i_mem"].iloc[0]
    for seed in (1, 2):
        part = runs[runs["seed"] == seed].set_index("group")["i_mem"] - nominal
        total = part.pop(ALL)
        print(f"\nseed {seed}: all devices {total * 1e9:+.3f} nA, sum of groups {part.sum() * 1e9:+.3f} nA")
        assert abs(total) > 0.05 * nominal
        assert part.sum() == pytest.approx(total, rel=0.25)
        assert abs(part["I_mem supply diode"]) < 0.02 * abs(total)
    assert (tmp_path / "contributions.png").stat().st_size > 0 and "i_mem" in set(table["quantity"])
    assert main(["verify", "mismatch", "neuron", "--seeds", "1"]) == 2
