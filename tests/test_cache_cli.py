"""The simulation cache: `ebn-circuit cache info|clear` on real results, the size limit (least
recently used results go first, the folder is not rescanned on every write), and a clear that
deletes only the cache's own files and never follows a symlink out of it."""

import os
import time

import pytest

from ebn_circuit.cli import main
from ebn_circuit.errors import ConfigError
from ebn_circuit.spice import Simulator, Testbench, Transient
from ebn_circuit.spice.cache import ResultCache, parse_size

RC = "v1 in 0 pulse(0 1 1u 1n 1n 1 2)\nr1 in out 1k\nc1 out 0 1n"


def rc_bench(r: float = 1e3) -> Testbench:
    return Testbench("rc_cache", RC.replace("1k", f"{r:g}"), Transient(step=5e-9, stop=4e-6, max_step=5e-9))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One real result (for the size-limit tests, stored under made-up keys)."""
    with Simulator(backend="batch", cache=False) as simulator:
        return simulator.run(rc_bench())


def key(n: int) -> str:
    return f"{n:064x}"


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_info_counts_a_real_run_and_clear_empties_the_cache(tmp_path, capsys):
    cache_dir = tmp_path / "sims"
    with Simulator(backend="batch", cache_dir=cache_dir) as simulator:
        first = simulator.run(rc_bench())
        again = simulator.run(rc_bench())
    assert not first.meta.cached and again.meta.cached
    code, out, _ = cli(capsys, "cache", "info", "--cache-dir", cache_dir)
    assert code == 0 and f"folder:   {cache_dir}" in out and "results:  1," in out and "oldest:" in out
    code, out, _ = cli(capsys, "cache", "clear", "--older-than", "1h", "--cache-dir", cache_dir)
    assert code == 0 and "deleted 0 result(s)" in out and "1 left" in out   # just used: kept
    code, out, _ = cli(capsys, "cache", "clear", "--cache-dir", cache_dir)
    assert code == 0 and "deleted 1 result(s)" in out and "0 left" in out
    assert cli(capsys, "cache", "info", "--cache-dir", cache_dir)[1].count("results:  0,") == 1
    with Simulator(backend="batch", cache_dir=cache_dir) as simulator:
        assert not simulator.run(rc_bench()).meta.cached


def test_clear_older_than_goes_by_last_use(tmp_path, capsys, result):
    cache = ResultCache(tmp_path)
    for n in range(3):
        cache.put(key(n), result)
    week_ago = time.time() - 8 * 86400
    for n in (0, 1):
        os.utime(cache.path(key(n)), (week_ago, week_ago))
    assert cache.get(key(1)) is not None   # read now: used, not old
    code, out, _ = cli(capsys, "cache", "clear", "--older-than", "7d", "--cache-dir", tmp_path)
    assert code == 0 and "deleted 1 result(s)" in out
    assert not cache.path(key(0)).exists() and cache.path(key(1)).exists() and cache.path(key(2)).exists()


@pytest.mark.parametrize("args, message", [
    (["cache", "clear", "--older-than", "7 days"], "--older-than '7 days': give a number with s, m, h, d or w"),
    (["cache", "clear", "--older-than", "-1d"], "--older-than: expected one argument"),
    (["cache", "clear", "--older-than", "1y"], "--older-than '1y'"),
    (["cache", "info", "--cache-max", "lots"], "--cache-max: 'lots' is not a size"),
    (["simulate", "deck.cir", "--cache-max", "0"], "--cache-max: '0' is not a size"),
])
def test_a_malformed_duration_or_size_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    code, out, err = cli(capsys, *args, "--cache-dir", tmp_path)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0] and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_a_malformed_size_limit_in_the_environment_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EBN_CIRCUIT_CACHE_MAX", "5 gigs")
    code, _, err = cli(capsys, "cache", "info", "--cache-dir", tmp_path)
    assert code == 2 and "EBN_CIRCUIT_CACHE_MAX: '5 gigs' is not a size" in err


def test_parse_size():
    assert parse_size("5G", "x") == 5 * 2**30 and parse_size("500m", "x") == 500 * 2**20
    assert parse_size("1.5GiB", "x") == 3 * 2**29 and parse_size("2 KB", "x") == 2048
    assert parse_size("1048576", "x") == 2**20
    for bad in ("", "G", "5X", "-1G", "0"):
        with pytest.raises(ConfigError):
            parse_size(bad, "x")


def test_a_write_beyond_the_limit_evicts_the_least_recently_used(tmp_path, result):
    size = _stored_size(tmp_path, result)
    cache = ResultCache(tmp_path / "sims", max_bytes=int(4.5 * size))
    for n in range(4):
        cache.put(key(n), result)
        stamp = time.time() - 100 + n   # written in this order, a second apart
        os.utime(cache.path(key(n)), (stamp, stamp))
    assert cache.get(key(0)) is not None   # the oldest is read now: the most recently used
    cache.put(key(4), result)              # 5 results > 4.5: evict down to 90 % of the limit (4 results)
    left = {e.path.name[:64] for e in cache.entries()}
    assert left == {key(0), key(2), key(3), key(4)}   # key 1 was the least recently used
    assert sum(e.size for e in cache.entries()) <= cache.max_bytes


def _stored_size(tmp_path, result) -> int:
    probe = ResultCache(tmp_path / "probe", 2**30)
    probe.put(key(0), result)
    return probe.path(key(0)).stat().st_size


def test_the_folder_is_not_rescanned_on_every_write(tmp_path, result, monkeypatch):
    scans = []
    entries = ResultCache.entries
    monkeypatch.setattr(ResultCache, "entries", lambda self, *a, **k: scans.append(1) or entries(self, *a, **k))
    cache = ResultCache(tmp_path / "big", max_bytes=2**30)
    for n in range(50):
        cache.put(key(n), result)
    assert len(scans) == 1   # the first write looks at what is there; the others are counted
    full = ResultCache(tmp_path / "full", max_bytes=200 * _stored_size(tmp_path, result))
    scans.clear()
    for n in range(300):
        full.put(key(n), result)
    # one scan per tenth of the limit written, and one per eviction (down to 90 %): amortised
    assert len(scans) <= 30 and 180 <= len(full.entries()) <= 200


def test_clear_deletes_only_the_cache_s_own_files_and_follows_no_symlink(tmp_path, capsys, result):
    outside = tmp_path / "outside"
    (outside / "ab").mkdir(parents=True)
    precious = outside / f"{key(7)}.simresult"
    precious.write_bytes(b"not the cache's")
    (outside / "ab" / f"{'ab' * 32}.simresult").write_bytes(b"not the cache's either")
    cache = ResultCache(tmp_path / "sims")
    cache.put(key(1), result)
    root = cache.root
    (root / "notes.txt").write_text("mine")
    (root / "22").mkdir()
    (root / "22" / "readme.md").write_text("mine too")
    (root / "22" / f"{key(7)}.simresult").symlink_to(precious)   # a link to a file outside
    (root / "ab").symlink_to(outside / "ab", target_is_directory=True)   # a shard that is a link
    (root / "22" / "tmp123.tmp").write_bytes(b"left by an interrupted write")
    assert [e.path.name for e in cache.entries()] == [f"{key(1)}.simresult"]
    code, out, _ = cli(capsys, "cache", "clear", "--cache-dir", root)
    assert code == 0 and "deleted 1 result(s)" in out
    assert precious.read_bytes() == b"not the cache's" and (outside / "ab" / f"{'ab' * 32}.simresult").exists()
    assert (root / "22" / f"{key(7)}.simresult").is_symlink() and (root / "ab").is_symlink()
    assert (root / "notes.txt").exists() and (root / "22" / "readme.md").exists()
    assert not (root / "22" / "tmp123.tmp").exists() and not cache.path(key(1)).parent.exists()
