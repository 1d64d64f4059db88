"""proberows.open(): rows equal `proberows cat` and protobuf's own parser;
indices, batches, iteration, errors, damaged shards, pickling, threads."""

import json
import multiprocessing
import os
import pickle
import random
import threading

import numpy as np
import pytest

import proberows
from conftest import cli_error, run, shards


def cat_rows(path, flat=False):
    """Every row of one shard as `proberows cat` prints it (parsed JSON)."""
    _, stdout, _ = run("cat", path, "--limit", "0", *(["--flat"] if flat else []))
    return [json.loads(line) for line in stdout.splitlines()]


def same_as_cat(value, cat_value):
    """A row's value (array, or list of arrays) equals cat's JSON for it."""
    if isinstance(value, list):
        return len(value) == len(cat_value) and all(same_as_cat(v, c) for v, c in zip(value, cat_value))
    assert isinstance(value, np.ndarray) and value.ndim == 1
    if len(value) != len(cat_value):
        return False
    if value.dtype == np.float32:
        # cat prints the shortest decimal that reads back as the same float32.
        expected = np.array([float(c) if not isinstance(c, str) else float(c.replace("Infinity", "inf"))
                             for c in cat_value], dtype=np.float32)
        return np.array_equal(value.view(np.uint32), expected.view(np.uint32)) or np.array_equal(
            value, expected, equal_nan=True)
    if value.dtype == np.int64:
        return value.tolist() == cat_value
    assert value.dtype == object
    return [b.decode() for b in value] == cat_value


@pytest.mark.parametrize("split", ["train", "test"])
def test_rows_equal_cat(out, split):
    files = shards(out, split)
    listed = proberows.open(out, split=split, ragged="list")
    flat = proberows.open(out, split=split)
    expected_list = [row for f in files for row in cat_rows(f)]
    expected_flat = [row for f in files for row in cat_rows(f, flat=True)]
    assert len(listed) == len(flat) == len(expected_list) > 0
    for i, (want_list, want_flat) in enumerate(zip(expected_list, expected_flat)):
        got_list, got_flat = listed[i], flat[i]
        assert list(got_list) == sorted(want_list) == list(want_list)
        assert list(got_flat) == list(want_flat)
        for name in want_list:
            assert same_as_cat(got_list[name], want_list[name]), (i, name)
        for name in want_flat:
            assert same_as_cat(got_flat[name], want_flat[name]), (i, name)


def test_rows_equal_protobuf(out, example_pb2):
    for split in ("train", "test"):
        ds = proberows.open(out, split=split)
        for i in range(len(ds)):
            row = ds[i]
            features = example_pb2.Example.FromString(ds.raw(i)).features.feature
            assert sorted(features) == list(row)
            for name, feature in features.items():
                kind = feature.WhichOneof("kind")
                got = row[name]
                if kind == "int64_list":
                    assert got.dtype == np.int64 and got.tolist() == list(feature.int64_list.value)
                elif kind == "float_list":
                    want = np.array(feature.float_list.value, dtype=np.float32)
                    assert got.dtype == np.float32 and np.array_equal(got.view(np.uint32), want.view(np.uint32))
                else:
                    assert kind == "bytes_list" and got.dtype == object
                    assert got.tolist() == list(feature.bytes_list.value)


def test_tiny_rows_exactly(tiny):
    # Probe 2 is the test split; train holds probes 3 and 1, in hash order.
    train = proberows.open(tiny, ragged="list")
    assert len(train) == 2 and len(proberows.open(tiny, split="test")) == 1
    p3, p1 = train[0], train[1]
    assert list(p1) == ["country", "prb_id", "rtt", "rtts", "tags", "timestamp"]
    assert p1["prb_id"].tolist() == [1] and p3["prb_id"].tolist() == [3]
    assert p1["country"].tolist() == [b"nl"]
    assert np.array_equal(p1["rtt"], np.array([np.nan, 10.5, 12.25], np.float32), equal_nan=True)
    assert [a.tolist() for a in p1["rtts"]] == [[], [1.0, 2.0], [3.0]]
    assert all(a.dtype == np.float32 for a in p1["rtts"])
    assert [a.tolist() for a in p1["tags"]] == [[b"x", b"y"]]  # a static list: one list per row
    assert p1["timestamp"].tolist() == [1704067201000000, 1704067202000000, 1704067203000000]
    assert [a.tolist() for a in p3["rtts"]] == [[], [7.0]]
    test = proberows.open(tiny, split="test", ragged="list")[0]
    assert [a.tolist() for a in test["rtts"]] == [[4.0, 5.0, 6.0]] and [a.tolist() for a in test["tags"]] == [[]]

    flat = proberows.open(tiny)[1]
    assert list(flat) == ["country", "prb_id", "rtt", "rtts/ragged_flat_values", "rtts/ragged_row_lengths_0",
                          "tags/ragged_flat_values", "tags/ragged_row_lengths_0", "timestamp"]
    assert flat["rtts/ragged_flat_values"].tolist() == [1.0, 2.0, 3.0]
    assert flat["rtts/ragged_row_lengths_0"].tolist() == [0, 2, 1]
    assert flat["tags/ragged_row_lengths_0"].tolist() == [2]


def test_indices_follow_python(out):
    ds = proberows.open(out)
    n = len(ds)
    rows = [ds.raw(i) for i in range(n)]
    assert ds.raw(-1) == rows[-1] and ds.raw(-n) == rows[0]
    assert ds[np.int64(3)]["prb_id"].tolist() == ds[3]["prb_id"].tolist()
    for bad in (n, -n - 1, 2**63, -2**70):
        with pytest.raises(IndexError) as e:
            ds[bad]
        assert isinstance(e.value, proberows.OutOfRangeError) and isinstance(e.value, proberows.Error)
        assert str(e.value) == f"index {bad} is out of range for {n} rows"
    with pytest.raises(TypeError):
        ds[1.0]
    with pytest.raises(TypeError):
        ds["0"]


def test_slices_batches_and_iteration(out):
    ds = proberows.open(out)
    n = len(ds)
    ids = [ds[i]["prb_id"][0] for i in range(n)]
    assert [r["prb_id"][0] for r in ds[2:7]] == ids[2:7]
    assert [r["prb_id"][0] for r in ds[::-3]] == ids[::-3]
    assert ds[n:] == []
    picks = [5, 0, -1, 5, np.int32(2)]
    assert [r["prb_id"][0] for r in ds.__getitems__(picks)] == [ids[5], ids[0], ids[-1], ids[5], ids[2]]
    with pytest.raises(IndexError):
        ds.__getitems__([0, n])
    assert [r["prb_id"][0] for r in ds] == ids
    # Sequential reads across the boundary between the two train shards.
    first = len(proberows.open(shards(out, "train")[0]))
    assert 0 < first < n
    assert [r["prb_id"][0] for r in ds._read_range(first - 2, first + 3)] == ids[first - 2:first + 3]


def test_open_a_shard_or_a_list_of_shards(out):
    files = shards(out, "train")
    whole = proberows.open(out)
    parts = [proberows.open(f) for f in files]
    assert [len(p) for p in parts] and sum(len(p) for p in parts) == len(whole)
    listed = proberows.open(files)
    assert listed.files == files and len(listed) == len(whole)
    assert [listed.raw(i) for i in range(len(whole))] == [whole.raw(i) for i in range(len(whole))]


def test_open_errors_match_the_cli(out, gen, tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(proberows.NotFoundError) as e:
        proberows.open(missing)
    assert isinstance(e.value, FileNotFoundError)
    assert str(e.value) == cli_error("inspect", missing)

    os.mkdir(tmp_path / "empty")
    with pytest.raises(proberows.NotFoundError) as e:
        proberows.open(str(tmp_path / "empty"))
    assert str(e.value) == cli_error("inspect", str(tmp_path / "empty"))

    parquet = os.path.join(gen, "part-00000-of-00001.parquet")
    with pytest.raises(proberows.InvalidArgumentError) as e:
        proberows.open(parquet)
    assert str(e.value) == cli_error("cat", parquet)
    assert "not an ArrayRecord file" in str(e.value)

    with pytest.raises(proberows.NotFoundError) as e:
        proberows.open([missing + ".array_record"])
    assert str(e.value) == cli_error("cat", missing + ".array_record")

    with pytest.raises(proberows.InvalidArgumentError) as e:
        proberows.open(out, split="validation")
    assert str(e.value) == f"split 'validation' is not in '{out}' (splits: train, test)"
    with pytest.raises(ValueError) as e:
        proberows.open(out, ragged="nested")
    assert str(e.value) == "ragged='nested': expected 'flat' or 'list'"


def test_damaged_shard_raises_the_cli_message(out, copy_of):
    folder = copy_of(out)
    path = shards(folder, "test")[0]
    ds = proberows.open(path)
    n = len(ds)
    good = [ds.raw(i) for i in range(n)]
    # Flip one byte at a time, from the front, until exactly one row fails
    # (with group_size:1 each row is one chunk with its own hashes).
    with open(path, "rb") as f:
        original = f.read()
    damaged_index = None
    for offset in range(100, len(original) - 65536, 101):
        data = bytearray(original)
        data[offset] ^= 0x20
        with open(path, "wb") as f:
            f.write(data)
        try:
            ds2 = proberows.open(path)
        except proberows.DataLossError:
            continue
        bad = []
        for i in range(n):
            try:
                ds2[i]
            except proberows.DataLossError:
                bad.append(i)
        if len(bad) == 1:
            damaged_index = bad[0]
            break
    assert damaged_index is not None
    ds2 = proberows.open(path)
    with pytest.raises(proberows.DataLossError) as e:
        ds2[damaged_index]
    assert str(e.value) == cli_error("cat", path, "--index", str(damaged_index), "--limit", "1")
    with pytest.raises(proberows.DataLossError):
        ds2.__getitems__([0, damaged_index])
    # The other rows still read, unchanged.
    for i in range(n):
        if i != damaged_index:
            assert ds2.raw(i) == good[i]

    # A damaged footer or a truncated file: open() fails with cat's message.
    with open(path, "wb") as f:
        f.write(original[:-1])
    with pytest.raises(proberows.DataLossError) as e:
        proberows.open(path)
    assert str(e.value) == cli_error("cat", path)


def test_pickle_round_trip(out, tiny):
    for ds in (proberows.open(out, split="test"), proberows.open(tiny, ragged="list"),
               proberows.open(shards(out, "train"))):
        copy = pickle.loads(pickle.dumps(ds))
        assert type(copy) is proberows.Dataset and repr(copy) == repr(ds) and copy.ragged == ds.ragged
        assert [copy.raw(i) for i in range(len(copy))] == [ds.raw(i) for i in range(len(ds))]
        assert fingerprint(copy[0]) == fingerprint(ds[0])


def _worker_ids(args):
    ds, indices = args
    return [int(ds[i]["prb_id"][0]) for i in indices]


def test_usable_from_spawned_worker_processes(out):
    ds = proberows.open(out)
    ids = [int(r["prb_id"][0]) for r in ds]
    chunks = [list(range(0, len(ds), 2)), list(range(1, len(ds), 2))]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        got = pool.map(_worker_ids, [(ds, c) for c in chunks])
    assert got == [[ids[i] for i in c] for c in chunks]


def fingerprint(row):
    """A row's names, dtypes and values (NaN bits included), cheap to compare."""

    def value(v):
        if isinstance(v, list):
            return tuple(value(x) for x in v)
        if v is None:
            return None
        return (v.dtype.str, v.tobytes() if v.dtype != object else tuple(v))

    return [(k, value(v)) for k, v in row.items()]


def test_thread_safety(out):
    ds = proberows.open(out)
    reference = [fingerprint(ds[i]) for i in range(len(ds))]
    errors = []

    def work(seed):
        rng = random.Random(seed)
        try:
            for _ in range(150):
                i = rng.randrange(len(ds))
                if rng.random() < 0.2:
                    batch = [rng.randrange(len(ds)) for _ in range(8)]
                    assert [fingerprint(r) for r in ds.__getitems__(batch)] == [reference[j] for j in batch]
                else:
                    assert fingerprint(ds[i]) == reference[i]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_fast_and_general_decoders_agree(out, tiny, example_pb2):
    for folder in (out, tiny):
        for split in ("train", "test"):
            ds = proberows.open(folder, split=split)
            for i in range(len(ds)):
                raw = ds.raw(i)
                for ragged in ("flat", "list"):
                    assert fingerprint(proberows._proberows._decode(raw, ragged)) == fingerprint(
                        proberows._proberows._decode(raw, ragged, general=True))

    # Forms the fast path declines: unsorted names, a repeated name (the last
    # wins), unpacked numbers, a Feature without a list. protobuf decides.
    def entry(name, feature):
        return b"\x0a" + _len(_field(1, name.encode()) + _field(2, feature))

    floats = example_pb2.Feature(float_list=example_pb2.FloatList(value=[1.5, -2.0])).SerializeToString()
    ints = example_pb2.Feature(int64_list=example_pb2.Int64List(value=[7, -1])).SerializeToString()
    unpacked_ints = b"\x1a\x04" + b"\x08\x07\x08\x05"  # Int64List{value: 7, value: 5}, unpacked
    for features in (
            entry("b", ints) + entry("a", floats),
            entry("a", ints) + entry("a", floats),
            entry("a", unpacked_ints),
            entry("a", b"") + entry("c", ints),
    ):
        raw = _field(1, features)
        want = example_pb2.Example.FromString(raw).features.feature
        got = proberows._proberows._decode(raw)
        assert list(got) == sorted(want)
        for name, feature in want.items():
            kind = feature.WhichOneof("kind")
            if kind is None:
                assert got[name] is None
            else:
                assert getattr(feature, kind).value[:] == got[name].tolist()

    with pytest.raises(proberows.DataLossError) as e:
        proberows._proberows._decode(b"\x0a\x05\x0a")
    assert str(e.value).startswith("malformed tf.train.Example at byte offset ")


def _len(b):
    out = bytearray()
    n = len(b)
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + b


def _field(number, payload):
    return bytes([number << 3 | 2]) + _len(payload)


def test_empty_split(tmp_path):
    # --test-fraction 0: the test split has no rows (and no shard records).
    path = str(tmp_path / "o")
    run("build", "--sql", "SELECT 1 AS prb_id, TIMESTAMP '2024-01-01' AS \"timestamp\"", "-o", path,
        "--test-fraction", "0")
    test = proberows.open(path, split="test")
    assert len(test) == 0 and list(test) == [] and test[0:5] == []
    with pytest.raises(IndexError):
        test[0]
    assert len(proberows.open(path)) == 1


def test_statistics_are_the_tfds_statistics(out):
    import json
    import os

    with open(os.path.join(out, "dataset_info.json")) as f:
        info = {s["name"]: s["statistics"] for s in json.load(f)["splits"]}
    for split in ("train", "test"):
        ds = proberows.open(out, split=split)
        stats = ds.statistics
        assert stats == info[split]
        assert int(stats["numExamples"]) == len(ds)
        by_name = {f["name"]: f for f in stats["features"]}
        # Every row's key is one value: the key feature's total is the row count.
        assert int(by_name["prb_id"]["numStats"]["commonStats"]["totNumValues"]) == len(ds)
    with pytest.raises(proberows.InvalidArgumentError):
        proberows.open(proberows.open(out).files[0]).statistics
