"""proberows.build(): the same output bytes and counts as `proberows build`,
the CLI's error messages, the tqdm bar, and Ctrl-C."""

import os
import re
import signal
import threading

import pytest

import proberows
from conftest import STATIC, cli_error, run


def as_keywords(message):
    """A CLI message as build() words it: the flags as its keywords (--workers 0 -> workers=0)."""
    return proberows._keywordize(message, proberows._BUILD_FLAGS)


def tree(folder):
    """Every file of a folder: name -> bytes."""
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            out[name] = f.read()
    return out


def test_build_writes_what_the_cli_writes(gen, out, tmp_path):
    path = str(tmp_path / "py")
    summary = proberows.build(input=os.path.join(gen, "*.parquet"), output=path, static_columns=STATIC.split(","),
                              train_shards=2, test_shards=1, workers=2, memory_limit="512MB", progress=False)
    assert tree(path) == tree(out)
    # No lock file or staging folder is left beside the output.
    assert sorted(os.listdir(tmp_path)) == ["py"]

    # The counts of the CLI's summary (`out` was built by the CLI with these flags).
    _, cli_summary, _ = run("build", "-i", os.path.join(gen, "*.parquet"), "-o", str(tmp_path / "cli"),
                            "--static-columns", STATIC, "--train-shards", "2", "--test-shards", "1", "-j", "2",
                            "-m", "512MB")
    first = re.match(r"proberows build: (\d+) measurements -> (\d+) rows", cli_summary)
    assert (summary["input_measurements"], summary["keys"]) == (int(first[1]), int(first[2])) == (3000, 60)
    for split in ("train", "test"):
        line = re.search(rf"^  {split} +(\d+) rows +(\d+) measurements .* (\d+) shard\(s\)", cli_summary, re.M)
        s = summary[split]
        assert (s["rows"], s["measurements"], len(s["shards"])) == (int(line[1]), int(line[2]), int(line[3]))
        assert [sh["file"] for sh in s["shards"]] == sorted(n for n in tree(out) if f"-{split}." in n)
        assert sum(sh["rows"] for sh in s["shards"]) == s["rows"]
        assert all(sh["file_bytes"] == len(tree(out)[sh["file"]]) for sh in s["shards"])
    assert summary["train"]["rows"] + summary["test"]["rows"] == 60
    assert summary["strategy"] == "streaming" and summary["workers"] == 2
    assert summary["memory_limit_bytes"] == 512_000_000
    phases = re.search(r"^  phases: (.*)$", cli_summary, re.M)[1]
    assert list(summary["phase_seconds"]) == [p.rsplit(" ", 2)[0] for p in phases.split("; ")]
    assert summary["output_dir"] == path
    assert summary["text"].startswith("proberows build: 3000 measurements -> 60 rows in ")
    assert summary["text"].endswith(f"  output: {path}\n")


def test_build_from_sql_and_overwrite(tmp_path):
    path = str(tmp_path / "o")
    sql = "SELECT i % 7 AS prb_id, TIMESTAMP '2024-01-01' + to_seconds(i) AS \"timestamp\", i * 0.5 AS v FROM range(100) t(i)"
    summary = proberows.build(sql=sql, output=path, progress=False)
    assert summary["keys"] == 7 and summary["input_measurements"] == 100
    rows = [r for split in ("train", "test") for r in proberows.open(path, split=split)]
    assert sorted(int(r["prb_id"][0]) for r in rows) == list(range(7))
    with pytest.raises(proberows.AlreadyExistsError) as e:
        proberows.build(sql=sql, output=path, progress=False)
    assert str(e.value) == as_keywords(cli_error("build", "--sql", sql, "-o", path))
    assert str(e.value).endswith("; pass overwrite=True to replace it")
    assert proberows.build(sql=sql, output=path, overwrite=True, progress=False)["keys"] == 7


def test_tfds_layout(gen, tmp_path):
    parquet = os.path.join(gen, "*.parquet")
    summary = proberows.build(input=parquet, output=str(tmp_path / "py"), tfds_layout=True, progress=False)
    run("build", "-i", parquet, "-o", str(tmp_path / "cli"), "--tfds-layout")
    folder = tmp_path / "py" / "probes" / "1.0.0"
    assert tree(str(folder)) == tree(str(tmp_path / "cli" / "probes" / "1.0.0"))
    assert len(proberows.open(str(folder))) == summary["train"]["rows"]


def test_build_errors_carry_the_cli_message(gen, tiny, tmp_path):
    parquet = os.path.join(gen, "*.parquet")
    o = str(tmp_path / "never")
    cases = [
        # (Python keyword arguments, the same build on the command line, error class)
        (dict(), [], proberows.InvalidArgumentError),
        (dict(input=parquet, sql="SELECT 1"), ["-i", parquet, "--sql", "SELECT 1"], ValueError),
        (dict(input=parquet, workers=0), ["-i", parquet, "-j", "0"], ValueError),
        (dict(input=parquet, train_shards=-1), ["-i", parquet, "--train-shards", "-1"], ValueError),
        (dict(input=parquet, memory_limit="lots"), ["-i", parquet, "-m", "lots"], ValueError),
        (dict(input=parquet, memory_limit="10MB"), ["-i", parquet, "-m", "10MB"], ValueError),
        (dict(input=parquet, strategy="fast"), ["-i", parquet, "--strategy", "fast"], ValueError),
        (dict(input=parquet, seed=-1), ["-i", parquet, "--seed", "-1"], ValueError),
        (dict(input=parquet, test_fraction=1), ["-i", parquet, "--test-fraction", "1"], ValueError),
        (dict(input=parquet, array_record_options="bogus"), ["-i", parquet, "--array-record-options", "bogus"],
         ValueError),
        (dict(input=parquet, key="nope"), ["-i", parquet, "--key", "nope"], proberows.Error),
        (dict(input=parquet, static_columns="rcvd"), ["-i", parquet, "--static-columns", "rcvd"],
         proberows.FailedPreconditionError),
        (dict(input=str(tmp_path / "nodir" / "*.parquet")), ["-i", str(tmp_path / "nodir" / "*.parquet")],
         FileNotFoundError),
        (dict(input=str(tmp_path / "none.parquet")), ["-i", str(tmp_path / "none.parquet")], FileNotFoundError),
        (dict(input=parquet, output=tiny), ["-i", parquet, "-o", tiny], proberows.AlreadyExistsError),
    ]
    for kwargs, args, error in cases:
        kwargs.setdefault("output", o)
        if "-o" not in args:
            args = args + ["-o", o]
        with pytest.raises(error) as e:
            proberows.build(progress=False, **kwargs)
        assert isinstance(e.value, proberows.Error)
        assert str(e.value) == as_keywords(cli_error("build", "--no-progress", *args)), kwargs
        assert " --" not in str(e.value) and not str(e.value).startswith("--"), str(e.value)
    assert os.listdir(tmp_path) == []


def test_progress_bar_only_when_asked(gen, tmp_path, capfd):
    parquet = os.path.join(gen, "*.parquet")
    proberows.build(input=parquet, output=str(tmp_path / "a"), progress=False)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    proberows.build(input=parquet, output=str(tmp_path / "b"))
    err = capfd.readouterr().err
    assert "measurements" in err and "rows=60" in err, err  # tqdm's bar, on stderr


@pytest.fixture(scope="module")
def slow_input(root):
    """Enough probes for a sequential build to take a few seconds."""
    path = str(root / "slow")
    if not os.path.exists(path):
        run("generate", "-o", path, "-n", "8000", "-p", "2500", "--seed", "3")
    return os.path.join(path, "*.parquet")


def test_ctrl_c_stops_the_build_cleanly(slow_input, tmp_path):
    out = str(tmp_path / "interrupted")
    timer = threading.Timer(0.5, lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            proberows.build(input=slow_input, output=out, strategy="sequential", workers=1, progress=False)
    finally:
        timer.cancel()
    # Nothing written, nothing left behind.
    assert os.listdir(tmp_path) == []
