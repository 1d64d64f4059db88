"""build() and schema() are the CLI's flags, one to one; their Python types;
the schema report as data; pickling with an absolute path and the dataset's
identity; Ctrl-C at any moment of an overwrite; damaged metadata."""

import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import proberows
from conftest import BINARY, TINY_SQL, cli_error, run


def cli_flags(command):
    """The long flags `proberows COMMAND --help` lists."""
    _, out, _ = run(command, "--help")
    return {m for m in re.findall(r"^\s+(?:-\w,)?--([a-z][a-z0-9-]*)", out, re.M)} - {"help"}


def keywords(func):
    import inspect

    return set(inspect.signature(func).parameters)


def test_build_keywords_are_the_build_flags():
    # Every flag of `proberows build` is a keyword of build() and nothing else
    # is, but `progress` (the CLI's --no-progress, inverted).
    flags = cli_flags("build")
    assert {"fill-null", "null-mask", "preset", "input-format", "include", "dry-run"} <= flags
    assert keywords(proberows.build) == {f.replace("-", "_") for f in flags - {"no-progress"}} | {"progress"}
    assert keywords(proberows.schema) == {f.replace("-", "_") for f in cli_flags("schema")}
    # The help text lists them too.
    for flag in flags - {"no-progress"}:
        assert f"    {flag.replace('-', '_')}: --{flag}, " in proberows.build.__doc__


def tree(folder):
    return {n: open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder))}


NULLS_SQL = """SELECT i % 5 AS prb_id, i AS "timestamp", CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS ttl,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || i END AS tag FROM range(40) t(i)"""


def test_new_keywords_write_what_the_cli_writes(tmp_path):
    py, cli = str(tmp_path / "py"), str(tmp_path / "cli")
    proberows.build(sql=NULLS_SQL, output=py, fill_null=["ttl=-1", "tag="], null_mask=True, include="ttl,tag",
                    progress=False)
    run("build", "--sql", NULLS_SQL, "-o", cli, "--fill-null", "ttl=-1,tag=", "--null-mask", "--include", "ttl,tag")
    assert tree(py) == tree(cli)
    assert set(proberows.open(py)[0]) == {"prb_id", "timestamp", "ttl", "tag", "ttl_present", "tag_present"}


def test_errors_name_the_keyword(tmp_path):
    o = str(tmp_path / "o")
    with pytest.raises(proberows.InvalidArgumentError) as e:
        proberows.build(sql=NULLS_SQL, output=o, null_mask=True, progress=False)
    assert str(e.value) == "null_mask=True records where fill_null= replaced NULLs; give fill_null= too"
    with pytest.raises(proberows.InvalidArgumentError) as e:
        proberows.build(sql=NULLS_SQL, output=o, fill_null="ttl=abc", progress=False)
    assert str(e.value).startswith("fill_null=ttl=abc: 'abc' is not an integer"), str(e.value)
    with pytest.raises(proberows.Error) as e:
        proberows.build(sql=NULLS_SQL, output=o, progress=False)
    assert "fill_null=" in str(e.value) and "--" not in str(e.value), str(e.value)
    assert not os.path.exists(o)


def test_python_types_are_checked(tmp_path):
    o = str(tmp_path / "o")
    cases = [
        (dict(overwrite="false"), "overwrite= takes True or False, not 'false' (str)"),
        (dict(overwrite=1), "overwrite= takes True or False, not 1 (int)"),
        (dict(null_mask=0), "null_mask= takes True or False, not 0 (int)"),
        (dict(workers=True), "workers= takes an int, not True (bool)"),
        (dict(workers="2"), "workers= takes an int, not '2' (str)"),
        (dict(test_fraction="0.5"), "test_fraction= takes a number, not '0.5' (str)"),
        (dict(static_columns=5), "static_columns= takes a string or a list of strings, not 5"),
        (dict(static_columns=["a", 5]), "static_columns= takes a string or a list of strings, not 5 (int)"),
        (dict(key=["a"]), "key= takes a string, not ['a'] (list)"),
    ]
    for kwargs, message in cases:
        with pytest.raises(TypeError) as e:
            proberows.build(sql="SELECT 1", output=o, progress=False, **kwargs)
        assert str(e.value) == message, kwargs
    with pytest.raises(TypeError, match=r"proberows.build\(\): got an unexpected keyword argument 'prest'"):
        proberows.build(sql="SELECT 1", output=o, prest="x")
    assert not os.path.exists(o)


def test_workers_limit():
    # The real limit (an int), not "must be at least 1"; the CLI says the same.
    with pytest.raises(proberows.InvalidArgumentError) as e:
        proberows.build(sql="SELECT 1", output="never", workers=2**40)
    assert str(e.value) == "workers=1099511627776 is more than the limit, 2147483647"
    assert cli_error("build", "--sql", "SELECT 1", "-o", "never", "-j", str(2**40)) == \
        "--workers 1099511627776 is more than the limit, 2147483647"
    with pytest.raises(proberows.InvalidArgumentError, match="^train_shards=0 must be at least 1$"):
        proberows.build(sql="SELECT 1", output="never", train_shards=0)


def test_schema_as_data(tmp_path):
    report = proberows.schema(sql=TINY_SQL, static_columns="country,tags")
    _, text, _ = run("schema", "--sql", TINY_SQL, "--static-columns", "country,tags")
    assert report["text"] == text
    assert report["ok"] and report["problems"] == []
    assert (report["rows"], report["key"], report["order_by"]) == (6, "prb_id", "timestamp")
    columns = {c["name"]: c for c in report["columns"]}
    assert list(columns) == ["prb_id", "timestamp", "rtt", "country", "rtts", "tags"]
    assert (columns["rtt"]["dtype"], columns["rtt"]["layout"], columns["rtt"]["nulls"]) == \
        ("float32", "per measurement", "1 of 6 rows -> NaN")
    assert columns["country"]["layout"] == "per row (static)"
    assert columns["rtts"]["layout"] == "ragged, 1 level"

    bad = proberows.schema(sql=NULLS_SQL)
    assert not bad["ok"] and len(bad["problems"]) == 2
    assert all("fill_null=" in p and "--" not in p for p in bad["problems"]), bad["problems"]
    # build(dry_run=True) is the same report, and writes nothing.
    dry = proberows.build(sql=NULLS_SQL, output=str(tmp_path / "o"), dry_run=True)
    assert dry["problems"] == bad["problems"] and not os.path.exists(tmp_path / "o")


def test_pickle_stores_an_absolute_path_and_refuses_a_changed_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sql = "SELECT i % 9 AS prb_id, i AS \"timestamp\", i * 2 AS v FROM range(90) t(i)"
    proberows.build(sql=sql, output="rel_out", progress=False)
    ds = proberows.open("rel_out")
    assert ds.path == str(tmp_path / "rel_out")
    data = pickle.dumps(ds)
    # Unpickled in another working folder (a worker process): the same rows.
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    copy = pickle.loads(data)
    assert len(copy) == len(ds) and copy[0]["prb_id"][0] == ds[0]["prb_id"][0]
    # One shard file, by a relative path: absolute too.
    monkeypatch.chdir(tmp_path)
    shard = proberows.open(ds.files[0].replace(str(tmp_path) + os.sep, ""))
    shard_data = pickle.dumps(shard)
    monkeypatch.chdir(other)
    assert len(pickle.loads(shard_data)) == len(ds)
    # Rebuilt with --overwrite (other rows): refused, not read silently.
    proberows.build(sql=sql, output=str(tmp_path / "rel_out"), seed=7, overwrite=True, progress=False)
    with pytest.raises(proberows.FailedPreconditionError) as e:
        pickle.loads(data)
    assert str(e.value).startswith(f"'{tmp_path / 'rel_out'}' changed since this Dataset was pickled")
    with pytest.raises(proberows.FailedPreconditionError):
        pickle.loads(shard_data)


def test_deeply_nested_metadata_is_data_loss(tmp_path):
    out = tmp_path / "deep"
    out.mkdir()
    (out / "proberows.json").write_text("[" * 100_000)
    with pytest.raises(proberows.DataLossError, match="is not valid proberows metadata"):
        proberows.open(str(out))
    (out / "proberows.json").write_text('{"splits": [1, 2]}')
    with pytest.raises(proberows.DataLossError, match="is not valid proberows metadata"):
        proberows.open(str(out))


def test_deeply_nested_dataset_info_is_data_loss(out, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    ds = proberows.open(str(copy))
    info = copy / "dataset_info.json"
    info.write_text('{"splits": ' + "[" * 100_000 + "]" * 100_000 + "}")  # was: RecursionError
    with pytest.raises(proberows.DataLossError) as e:
        ds.statistics
    assert str(e.value) == f"'{info}' is not valid TFDS metadata"
    info.write_text('{"splits": [1, 2]}')  # was: AttributeError
    with pytest.raises(proberows.DataLossError) as e:
        ds.statistics
    assert str(e.value) == f"'{info}' is not valid TFDS metadata (splits)"


SIGINT_SCRIPT = r"""
import os, signal, sys, threading, time
import proberows
inputs, out, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
timer = threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGINT))
outcome = None
start = time.monotonic()
try:
    try:
        timer.start()
        s = proberows.build(input=inputs, output=out, seed=5, overwrite=True, workers=1, progress=False)
        outcome = "done"
    finally:
        timer.cancel()  # no SIGINT once build() has returned
except KeyboardInterrupt:
    if outcome is None:
        outcome = "interrupted"
print(outcome, time.monotonic() - start)
"""


def test_ctrl_c_during_an_overwrite_never_loses_both(gen, tmp_path):
    # The previous output stays (KeyboardInterrupt) or the new one is there
    # (build() returns): never KeyboardInterrupt after the output was replaced.
    parquet = os.path.join(gen, "*.parquet")
    old, new = str(tmp_path / "old"), str(tmp_path / "new")
    run("build", "-i", parquet, "-o", old, "-j", "1")
    run("build", "-i", parquet, "-o", new, "-j", "1", "--seed", "5")
    old_tree, new_tree = tree(old), tree(new)
    assert old_tree != new_tree
    script = tmp_path / "interrupt.py"
    script.write_text(SIGINT_SCRIPT)
    env = dict(os.environ)
    # build() alone, the shortest of two (the first may pay for cold caches
    # under a loaded test run: a sweep over a too long duration never fires).
    durations = []
    for name in ("timing0", "timing1"):
        r = subprocess.run([sys.executable, str(script), parquet, str(tmp_path / name), "100"], env=env, check=True,
                           capture_output=True, text=True)
        durations.append(float(r.stdout.split()[1]))
    duration = min(durations)
    outcomes = []
    for i in range(17):
        out = str(tmp_path / f"out{i}")
        shutil.copytree(old, out)  # the previous output, to be replaced
        # From its start to its end; then one that never fires (a build that
        # completes); the last at once if no earlier one interrupted (a loaded
        # machine's timings move), so that both outcomes are always checked.
        if i < 15:
            delay = duration * (0.05 + i / 14)
        elif i == 15:
            delay = 1000.0
        else:
            delay = 1000.0 if "interrupted" in outcomes else 0.0
        r = subprocess.run([sys.executable, str(script), parquet, out, f"{delay:.3f}"], env=env, capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        result, elapsed = r.stdout.split()[0], float(r.stdout.split()[1])
        outcomes.append(result)
        if result == "done":
            duration = min(duration, elapsed)  # the sweep follows the machine's current speed
        assert tree(out) == (new_tree if result == "done" else old_tree), (i, delay, result)
        assert sorted(os.listdir(tmp_path)).count(f"out{i}") == 1
        leftovers = [n for n in os.listdir(tmp_path) if n.startswith(f".out{i}")]
        assert leftovers == [], leftovers
    assert "interrupted" in outcomes and "done" in outcomes, outcomes
