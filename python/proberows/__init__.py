"""proberows from Python: build datasets in-process and read their rows as NumPy arrays.

    import proberows

    summary = proberows.build(input="data/*.parquet", output="out",
                              static_columns=["prb_lat", "prb_lon", "prb_asn", "prb_country"])
    train = proberows.open("out", split="train")
    len(train), train[0]["avg"], train[-1]["prb_id"][0]

The reading and decoding (tf.train.Example, no TensorFlow) and the build run
in C++ without holding the GIL. Every failure raises a `proberows.Error`
subclass whose message is the line `proberows` prints after "proberows: error: ".
See docs/python.md.
"""

import builtins
import json
import operator
import os

from ._proberows import (
    AlreadyExistsError,
    CancelledError,
    DataLossError,
    Error,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnavailableError,
)
from . import _proberows

__all__ = [
    "build",
    "open",
    "Dataset",
    "Error",
    "AlreadyExistsError",
    "CancelledError",
    "DataLossError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "UnavailableError",
]

__version__ = "0.1.0"

_METADATA = "proberows.json"


# ---------------------------------------------------------------- reading


def _shard_files(path, split):
    """The shard files of `split` in the output folder `path`, in row order."""
    if not os.path.exists(path):
        raise NotFoundError(f"'{path}' does not exist")
    meta_path = os.path.join(path, _METADATA)
    if not os.path.exists(meta_path):
        raise NotFoundError(f"'{path}' is not a proberows output ({_METADATA} missing)")
    try:
        with builtins.open(meta_path, "rb") as f:
            meta = json.loads(f.read())
        splits = meta["splits"]
    except (ValueError, KeyError, TypeError):
        raise DataLossError(f"'{meta_path}' is not valid proberows metadata") from None
    if split not in splits:
        names = ", ".join(splits)
        raise InvalidArgumentError(f"split '{split}' is not in '{path}' (splits: {names})")
    try:
        return [os.path.join(path, shard["file"]) for shard in splits[split]["shards"]]
    except (KeyError, TypeError):
        raise DataLossError(f"'{meta_path}' is not valid proberows metadata") from None


class Dataset(_proberows.Reader):
    """The rows of one split, with random access; see `proberows.open`.

    `ds[i]` is a dict: feature name -> 1-D NumPy array (int64, float32, or
    object arrays of `bytes`), in name order. A per-row feature (the key, a
    static column) is an array of one value: `ds[i]["prb_id"][0]`.

    Ragged features (a LIST column `x`) depend on `ragged`:
      "flat" (default): as stored, `x/ragged_flat_values` (every element,
          concatenated) and `x/ragged_row_lengths_0` (elements per
          measurement), exactly TFDS's and tf.io.RaggedFeature's form;
          `np.split(values, np.cumsum(lengths)[:-1])` regroups them;
      "list": one entry `x`, a list holding one array per measurement (views
          of the flat values; a second level `x/ragged_row_lengths_1` gives a
          list of lists of arrays).

    Indices follow Python: negative ones count from the end, anything outside
    raises `OutOfRangeError` (an `IndexError`). `ds[a:b]` and
    `ds.__getitems__(indices)` read many rows at once (a list of dicts).
    Thread-safe; picklable (the copy reopens the files), so Grain workers and
    PyTorch DataLoader workers can use it. Implements Grain's
    RandomAccessDataSource protocol (`__len__`, `__getitem__`).
    """

    def __init__(self, path, split="train", ragged="flat"):
        if isinstance(path, (list, tuple)):
            files = [os.fspath(p) for p in path]
            source = list(files)
        else:
            source = os.fspath(path)
            if not os.path.exists(source):
                raise NotFoundError(f"'{source}' does not exist")
            files = _shard_files(source, split) if os.path.isdir(source) else [source]
        super().__init__(files, ragged)
        self._source = source
        self._split = split

    @property
    def statistics(self):
        """This split's statistics as TFDS keeps them: dataset_info.json's
        `splits[].statistics`, tensorflow_metadata's DatasetFeatureStatistics in
        its JSON form (a dict: "numExamples", "features": [{"name", "type",
        "numStats" or "stringStats", ...}], int64 counts as strings). Only for a
        Dataset opened on an output folder; see docs/output-format.md."""
        if not isinstance(self._source, str) or not os.path.isdir(self._source):
            raise InvalidArgumentError("statistics need a Dataset opened on an output folder, not shard files")
        info_path = os.path.join(self._source, "dataset_info.json")
        try:
            with builtins.open(info_path, "rb") as f:
                splits = json.loads(f.read())["splits"]
        except FileNotFoundError:
            raise NotFoundError(f"'{info_path}' is missing") from None
        except (ValueError, KeyError, TypeError):
            raise DataLossError(f"'{info_path}' is not valid TFDS metadata") from None
        for split in splits:
            if split.get("name") == self._split:
                if "statistics" not in split:
                    raise FailedPreconditionError(
                        f"'{info_path}' has no statistics (written by an older proberows); rebuild the dataset")
                return split["statistics"]
        raise InvalidArgumentError(f"split '{self._split}' is not in '{info_path}'")

    def __iter__(self):
        step = 256
        n = len(self)
        for begin in range(0, n, step):
            yield from self._read_range(begin, begin + step)

    def __reduce__(self):
        return (_reopen, (self._source, self._split, self.ragged))

    def __repr__(self):
        return f"proberows.Dataset({self._source!r}, split={self._split!r}, rows={len(self)}, ragged={self.ragged!r})"


def _reopen(source, split, ragged):
    return Dataset(source, split=split, ragged=ragged)


def open(path, split="train", ragged="flat"):  # noqa: A001 - the package's verb
    """Opens the rows of a proberows output for reading.

    `path` is an output folder (its `split` is read, "train" or "test"), one
    ArrayRecord shard file, or a list of shard files (read one after the
    other). `ragged` is "flat" or "list" (see `Dataset`). Raises
    NotFoundError for a missing folder or file, InvalidArgumentError for an
    unknown split or a file that is not ArrayRecord, DataLossError for a
    damaged shard index.
    """
    return Dataset(path, split=split, ragged=ragged)


# ---------------------------------------------------------------- building


def _list(value):
    """A flag taking a list: a list, or one string (comma-separated, like the CLI's)."""
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [s for s in os.fspath(value).split(",") if s]
    return [os.fspath(v) for v in value]


def _progress_bar(enabled):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=None, unit=" measurements", unit_scale=True, desc="starting", leave=False)


def _show(bar, job):
    phase, total, _rows, scanned, rows_written, written = job.progress()
    if total and bar.total != total:
        bar.total = total
    # Scanning and writing each count for half of the work (as the CLI's line).
    done = (scanned + written) // 2
    if done > bar.n:
        bar.update(done - bar.n)
    bar.set_description(phase, refresh=False)
    bar.set_postfix(rows=rows_written, refresh=False)
    bar.refresh()


def build(
    input=None,  # noqa: A002 - the CLI's --input
    output=None,
    *,
    sql=None,
    name="probes",
    key="prb_id",
    order_by="timestamp",
    static_columns=(),
    include=(),
    exclude=(),
    null_lists_as_empty=False,
    test_fraction=0.1,
    seed=0,
    train_shards=None,
    test_shards=None,
    array_record_options="group_size:1,zstd:3",
    strategy="streaming",
    workers=None,
    memory_limit="2GB",
    temp_dir=None,
    overwrite=False,
    tfds_layout=False,
    progress=True,
):
    """Runs `proberows build` in this process and returns its summary as a dict.

    The arguments are the CLI's flags (`--order-by` is `order_by`, ...):
    `input` a path, glob or folder, or a list of them (exclusive with `sql`, a
    DuckDB query); list flags take a list or a comma-separated string;
    `memory_limit` a size string ("1GB", "512MiB") or a number of bytes;
    `train_shards`, `test_shards` and `workers` None for the CLI's default;
    `tfds_layout=True` publishes into OUTPUT/NAME/1.0.0/ (--tfds-layout).
    The build runs in C++ without the GIL. With `progress` and tqdm
    installed, a tqdm bar shows the progress. Ctrl-C stops the build cleanly
    (nothing is written, a previous output stays) and raises
    KeyboardInterrupt. Errors raise a proberows.Error subclass carrying the
    CLI's one-line message.

    The summary holds the counts of the CLI's summary: "input_measurements",
    "keys", "train"/"test" (rows, measurements, sizes, "shards": files with
    their XXH3), "phase_seconds", "total_seconds", "peak_rss_bytes", ...,
    and "text", the summary the CLI prints.
    """
    if isinstance(memory_limit, str):
        limit = memory_limit
    else:
        limit = operator.index(memory_limit)
    job = _proberows._start_build(
        inputs=_list(input) if not isinstance(input, (str, os.PathLike)) else [os.fspath(input)],
        sql=sql or "",
        output=os.fspath(output) if output is not None else "",
        name=name,
        key=key,
        order_by=order_by,
        static_columns=_list(static_columns),
        include=_list(include),
        exclude=_list(exclude),
        null_lists_as_empty=bool(null_lists_as_empty),
        test_fraction=float(test_fraction),
        seed=operator.index(seed),
        train_shards=None if train_shards is None else operator.index(train_shards),
        test_shards=None if test_shards is None else operator.index(test_shards),
        array_record_options=array_record_options,
        strategy=strategy,
        workers=None if workers is None else operator.index(workers),
        memory_limit=limit,
        temp_dir=os.fspath(temp_dir) if temp_dir is not None else "",
        overwrite=bool(overwrite),
        tfds_layout=bool(tfds_layout),
    )
    bar = _progress_bar(progress)
    try:
        try:
            while not job.wait(0.1):
                if bar is not None:
                    _show(bar, job)
        except KeyboardInterrupt:
            job.cancel()
            while True:  # the build stops between chunks; further Ctrl-C wait for that
                try:
                    if job.wait(0.1):
                        break
                except KeyboardInterrupt:
                    pass
            try:
                job.result()
            except Error:  # CancelledError: "interrupted; no output was written"
                pass
            raise
        if bar is not None:
            _show(bar, job)
    finally:
        if bar is not None:
            bar.close()
    return job.result()
