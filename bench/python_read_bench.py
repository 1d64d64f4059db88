#!/usr/bin/env python3
"""Rows/s of reading a proberows split from Python: proberows.open() against
protobuf's own Python parser (python3-protobuf) on the same rows.

    PYTHONPATH=build/release/python python3 bench/python_read_bench.py OUT [--runs 5] [--rows N]

OUT is a proberows output folder (e.g. the demo's). Each case reads the same
N rows (a fixed random permutation of the train split, seed 0) and turns
every row into a dict of NumPy arrays, the result a training loop needs:

  proberows ds[i]            one row at a time (ragged="flat")
  proberows ds[i], list      the same with ragged="list" (one array per measurement)
  proberows batch of 256     ds.__getitems__(256 indices) at a time
  proberows iteration        for row in ds (sequential; the first N rows)
  protobuf parse + numpy     Example.FromString(bytes) and np.asarray() per feature
  protobuf parse only        Example.FromString(bytes), no conversion (a lower bound)

The two protobuf cases get the serialized rows from ds.raw(i), read before
the clock starts: they time parsing only, proberows times reading too. The
Example proto is compiled with protoc from tests/proto/example.proto. Prints
the median rows/s of --runs runs per case and the protobuf implementation.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import proberows

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example_pb2():
    """tests/proto/example.proto compiled by protoc into a temporary folder."""
    out = tempfile.mkdtemp(prefix="proberows-pb2-")
    proto_dir = os.path.join(SOURCE_DIR, "tests", "proto")
    subprocess.run(["protoc", f"--python_out={out}", f"-I{proto_dir}", os.path.join(proto_dir, "example.proto")],
                   check=True)
    sys.path.insert(0, out)
    import example_pb2 as pb2  # noqa: E402

    return pb2


def protobuf_to_numpy(pb2, raw):
    row = {}
    for name, feature in pb2.Example.FromString(raw).features.feature.items():
        kind = feature.WhichOneof("kind")
        if kind == "int64_list":
            row[name] = np.asarray(feature.int64_list.value, dtype=np.int64)
        elif kind == "float_list":
            row[name] = np.asarray(feature.float_list.value, dtype=np.float32)
        elif kind == "bytes_list":
            row[name] = np.asarray(feature.bytes_list.value, dtype=object)
    return row


def rate(fn, rows):
    start = time.perf_counter()
    fn()
    return rows / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    pb2 = example_pb2()
    from google.protobuf.internal import api_implementation

    flat = proberows.open(args.out, split="train")
    listed = proberows.open(args.out, split="train", ragged="list")
    n = min(args.rows, len(flat))
    order = list(range(len(flat)))
    random.Random(0).shuffle(order)
    order = order[:n]
    raws = [flat.raw(i) for i in order]
    sizes = [len(r) for r in raws]

    def batches():
        for b in range(0, n, 256):
            flat.__getitems__(order[b:b + 256])

    def iterate():
        for i, _ in enumerate(flat):
            if i + 1 == n:
                break

    cases = [
        ("proberows ds[i]", lambda: [flat[i] for i in order]),
        ("proberows ds[i], ragged=list", lambda: [listed[i] for i in order]),
        ("proberows batch of 256", batches),
        ("proberows iteration", iterate),
        ("protobuf parse + numpy", lambda: [protobuf_to_numpy(pb2, r) for r in raws]),
        ("protobuf parse only", lambda: [pb2.Example.FromString(r) for r in raws]),
    ]
    # Same values both ways (a spot check; the tests compare every row).
    a, b = flat[order[0]], protobuf_to_numpy(pb2, raws[0])
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype != object) for k in a)

    print(f"{args.out}: {n} train rows, {statistics.mean(sizes):.0f} bytes/row on average; "
          f"protobuf {pb2.DESCRIPTOR.__class__.__module__.split('.')[0]} {api_implementation.Type()} implementation; "
          f"median of {args.runs} runs")
    for name, fn in cases:
        rates = [rate(fn, n) for _ in range(args.runs)]
        print(f"  {name:<30} {statistics.median(rates):>10,.0f} rows/s   (runs: "
              f"{', '.join(f'{r:,.0f}' for r in rates)})")
    print(f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
