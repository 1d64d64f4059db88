"""Shared fixtures: the proberows binary, small datasets built with it, and
tf.train.Example compiled by protoc (the independent parser to compare with).

Run by ctest (python_tests), which sets PYTHONPATH to the build tree's
package and PROBEROWS_BINARY; by hand:
    PYTHONPATH=build/release/python PROBEROWS_BINARY=build/release/proberows \\
        python3 -m pytest -q python/tests
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

SOURCE_DIR = os.environ.get(
    "PROBEROWS_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BINARY = os.environ.get("PROBEROWS_BINARY", os.path.join(SOURCE_DIR, "build", "release", "proberows"))

STATIC = "prb_lat,prb_lon,prb_asn,prb_country"

# Three probes with 3, 1 and 2 measurements (timestamps out of order), a
# DOUBLE with a NULL (NaN), a static VARCHAR, a LIST with empty lists and a
# static LIST (the docs' tiny example, as a query: no input files needed).
TINY_SQL = """
SELECT prb_id, "timestamp", CAST(rtt AS DOUBLE) AS rtt, country,
       CAST(rtts AS DOUBLE[]) AS rtts, CAST(tags AS VARCHAR[]) AS tags FROM (VALUES
  (1, TIMESTAMP '2024-01-01 00:00:02', 10.5, 'nl', [1.0, 2.0], ['x', 'y']),
  (1, TIMESTAMP '2024-01-01 00:00:01', NULL, 'nl', [], ['x', 'y']),
  (1, TIMESTAMP '2024-01-01 00:00:03', 12.25, 'nl', [3.0], ['x', 'y']),
  (2, TIMESTAMP '2024-01-01 00:00:05', 7.0, 'de', [4.0, 5.0, 6.0], []),
  (3, TIMESTAMP '2024-01-01 00:00:09', 1.5, 'fr', [7.0], ['z']),
  (3, TIMESTAMP '2024-01-01 00:00:08', 2.5, 'fr', [], ['z'])
) AS t(prb_id, "timestamp", rtt, country, rtts, tags)
"""


def run(*args, check=True):
    """Runs the proberows binary; returns (exit code, stdout, stderr)."""
    r = subprocess.run([BINARY, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"proberows {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.returncode, r.stdout, r.stderr


def cli_error(*args):
    """The message the CLI prints for a failing command (its one error line)."""
    code, out, err = run(*args, check=False)
    assert code != 0, (args, out)
    if code == 2:  # usage error: CLI11's format, the message then a pointer to --help
        message, rest = err.split("\n", 1)
        assert rest == "Run with --help for more information.\n", err
        return message
    assert err.startswith("proberows: error: ") and err.count("\n") == 1, err
    return err[len("proberows: error: "):-1]


def shards(out, split):
    with open(os.path.join(out, "proberows.json")) as f:
        meta = json.load(f)
    return [os.path.join(out, s["file"]) for s in meta["splits"][split]["shards"]]


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("proberows")


@pytest.fixture(scope="session")
def gen(root):
    """3,000 generated measurements of 60 probes (one Parquet file)."""
    path = str(root / "gen")
    run("generate", "-o", path, "-n", "3000", "-p", "60", "--seed", "11")
    return path


@pytest.fixture(scope="session")
def out(root, gen):
    """The generated data built by the CLI: 2 train shards, 1 test shard."""
    path = str(root / "out")
    run("build", "-i", os.path.join(gen, "*.parquet"), "-o", path, "--static-columns", STATIC,
        "--train-shards", "2", "--test-shards", "1", "-j", "2", "-m", "512MB")
    return path


@pytest.fixture(scope="session")
def tiny(root):
    """TINY_SQL built by the CLI (test split: probe 2; train: probes 3, 1)."""
    path = str(root / "tiny")
    run("build", "--sql", TINY_SQL, "-o", path, "--static-columns", "country,tags", "--test-fraction", "0.34",
        "--seed", "1")
    return path


@pytest.fixture(scope="session")
def example_pb2(root):
    """tests/proto/example.proto (tf.train.Example) compiled with protoc."""
    out = root / "pb2"
    out.mkdir()
    proto_dir = os.path.join(SOURCE_DIR, "tests", "proto")
    subprocess.run(["protoc", f"--python_out={out}", f"-I{proto_dir}", os.path.join(proto_dir, "example.proto")],
                   check=True)
    sys.path.insert(0, str(out))
    import example_pb2 as pb2

    return pb2


@pytest.fixture
def copy_of(tmp_path):
    """copy_of(folder) -> a fresh copy of an output folder (to damage)."""

    def copy(folder):
        dst = tmp_path / os.path.basename(folder)
        shutil.copytree(folder, dst)
        return str(dst)

    return copy
