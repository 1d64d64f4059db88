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
import hashlib
import inspect
import json
import numbers
import operator
import os
import re
import signal
import threading

from ._loader import load_extension

_proberows = load_extension()
from ._proberows import (  # noqa: E402 - after the loader's checks
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

__all__ = [
    "build",
    "schema",
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


def _read_metadata(path):
    """(parsed proberows.json of the output folder `path`, its identity: the SHA-256 of its bytes)."""
    if not os.path.exists(path):
        raise NotFoundError(f"'{path}' does not exist")
    meta_path = os.path.join(path, _METADATA)
    if not os.path.exists(meta_path):
        raise NotFoundError(f"'{path}' is not a proberows output ({_METADATA} missing)")
    with builtins.open(meta_path, "rb") as f:
        data = f.read()
    try:
        return json.loads(data), hashlib.sha256(data).hexdigest()
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for json
        raise DataLossError(f"'{meta_path}' is not valid proberows metadata (not JSON proberows can read)") from None


def _shard_files(path, split, meta=None):
    """The shard files of `split` in the output folder `path`, in row order."""
    if meta is None:
        meta, _ = _read_metadata(path)
    meta_path = os.path.join(path, _METADATA)
    try:
        splits = meta["splits"]
        if not isinstance(splits, dict):
            raise TypeError
    except (KeyError, TypeError):
        raise DataLossError(f"'{meta_path}' is not valid proberows metadata") from None
    if split not in splits:
        names = ", ".join(splits)
        raise InvalidArgumentError(f"split '{split}' is not in '{path}' (splits: {names})")
    try:
        files = [os.path.join(path, shard["file"]) for shard in splits[split]["shards"]]
        if not all(isinstance(f, str) for f in files):
            raise TypeError
        return files
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

    def __init__(self, path, split="train", ragged="flat", _identity=None):
        if isinstance(path, (list, tuple)):
            files = [os.path.abspath(os.fspath(p)) for p in path]
            source = list(files)
            identity = [_file_identity(f) for f in files]
        else:
            source = os.path.abspath(os.fspath(path))
            if not os.path.exists(source):
                raise NotFoundError(f"'{os.fspath(path)}' does not exist")
            if os.path.isdir(source):
                meta, identity = _read_metadata(source)
                files = _shard_files(source, split, meta)
            else:
                files = [source]
                identity = [_file_identity(source)]
        if _identity is not None and _identity != identity:
            raise FailedPreconditionError(
                f"'{source}' changed since this Dataset was pickled (it was rebuilt or replaced, e.g. by "
                "--overwrite): its rows are not the ones the pickled Dataset read; open it again with "
                "proberows.open()")
        super().__init__(files, ragged)
        self._source = source
        self._split = split
        self._identity = identity

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
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: nested too deeply for json
            raise DataLossError(f"'{info_path}' is not valid TFDS metadata") from None
        if not isinstance(splits, list) or not all(isinstance(split, dict) for split in splits):
            raise DataLossError(f"'{info_path}' is not valid TFDS metadata (splits)")
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
        # Absolute paths (a worker may run in another folder) and the
        # dataset's identity: the copy refuses a dataset that has changed.
        return (_reopen, (self._source, self._split, self.ragged, self._identity))

    @property
    def path(self):
        """The absolute path of the output folder (or the list of shard files) read."""
        return self._source

    def __repr__(self):
        return f"proberows.Dataset({self._source!r}, split={self._split!r}, rows={len(self)}, ragged={self.ragged!r})"


def _file_identity(path):
    """A shard file's identity for pickling: size and modification time."""
    try:
        st = os.stat(path)
    except OSError:
        return None  # the reader reports the missing file
    return [st.st_size, st.st_mtime_ns]


def _reopen(source, split, ragged, identity=None):
    return Dataset(source, split=split, ragged=ragged, _identity=identity)


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


# build() and schema() take the command line's flags as keyword arguments:
# the list comes from the CLI's own definition (src/cli/build_flags.cc, read
# through the extension), and the keywords are turned back into flags that
# the same definition parses, so every flag of `proberows build` is a
# keyword here (`--fill-null` is `fill_null`), with the CLI's checks.

_BUILD_FLAGS = _proberows._build_flags()
_SCHEMA_FLAGS = _proberows._schema_flags()
# CLI flags with a Python form of their own: the progress line is
# `progress=` (a tqdm bar).
_CLI_ONLY = {"no-progress"}
_POSITIONAL = ("input", "output")


def _keyword(flag):
    return flag.replace("-", "_")


def _default(spec):
    if spec["flag"]:
        return False
    text = spec["default"]
    if spec["list"] or text == "":
        return None
    if spec["type"] in ("INT", "UINT"):
        return int(text)
    if spec["type"] == "FLOAT":
        return float(text)
    return text


def _signature(flags, extra=()):
    params = []
    for spec in flags:
        if spec["name"] in _CLI_ONLY:
            continue
        kind = (inspect.Parameter.POSITIONAL_OR_KEYWORD if spec["name"] in _POSITIONAL
                else inspect.Parameter.KEYWORD_ONLY)
        params.append(inspect.Parameter(_keyword(spec["name"]), kind, default=_default(spec)))
    params.sort(key=lambda p: p.kind)  # positional ones first (stable: CLI order otherwise)
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d) for name, d in extra]
    return inspect.Signature(params)


def _describe(flags):
    lines = []
    for spec in flags:
        if spec["name"] in _CLI_ONLY:
            continue
        default = _default(spec)
        shown = "" if default in (None, False) else f" (default {default!r})"
        lines.append(f"    {_keyword(spec['name'])}: --{spec['name']}, {spec['help']}{shown}")
    return "\n".join(lines)


# Words that follow a flag in a message without being its value.
_NOT_VALUES = {"and", "or", "to", "too", "is", "are", "must", "with", "the", "a", "of", "in", "for", "only", "on",
               "from", "takes", "instead", "was", "were", "would", "replaced", "records", "reads", "drops",
               "replaces", "gives", "adds", "needs", "cannot", "can", "not"}


def _keywordize(message, flags):
    """The CLI's message with its flags as this function's keywords:
    `--workers 0 must be ...` -> `workers=0 must be ...`, `--null-mask` -> `null_mask=True`."""
    specs = {spec["name"]: spec for spec in flags}

    def replace(m):
        spec = specs.get(m.group(1))
        if spec is None:
            return m.group(0)
        keyword = _keyword(spec["name"])
        value = m.group(2)
        if spec["flag"]:
            return f"{keyword}=True" + (value or "")
        if value and value.strip() not in _NOT_VALUES:
            return f"{keyword}={value.strip()}"
        return f"{keyword}=" + (value or "")

    return re.sub(r"--([a-z][a-z0-9-]*)( [^\s;:,()]+)?", replace, message)


def _raise_keywordized(e, flags):
    message = _keywordize(str(e), flags)
    if message == str(e):
        raise e
    raise type(e)(message) from None


def _check_type(keyword, value, kinds, expected):
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        raise TypeError(f"{keyword}= takes {expected}, not {value!r} ({type(value).__name__})")


def _argv(flags, values):
    """The flags ("--name=value") for keyword `values`, after checking their Python types."""
    args = []
    for spec in flags:
        name = spec["name"]
        keyword = _keyword(name)
        if keyword not in values:
            continue
        value = values[keyword]
        if value is None:
            continue
        if spec["flag"]:
            # True or False only: overwrite="false" must not mean True.
            if not isinstance(value, bool) and type(value).__name__ != "bool_":
                raise TypeError(f"{keyword}= takes True or False, not {value!r} ({type(value).__name__})")
            if value:
                args.append(f"--{name}")
            continue
        if spec["list"]:
            items = [value] if isinstance(value, (str, os.PathLike)) else value
            try:
                items = list(items)
            except TypeError:
                raise TypeError(f"{keyword}= takes a string or a list of strings, not {value!r}") from None
            for item in items:
                _check_type(keyword, item, (str, os.PathLike), "a string or a list of strings")
                args.append(f"--{name}={os.fspath(item)}")
            continue
        if spec["type"] in ("INT", "UINT"):
            _check_type(keyword, value, (numbers.Integral,), "an int")
            text = str(operator.index(value))
        elif spec["type"] == "FLOAT":
            _check_type(keyword, value, (numbers.Real,), "a number")
            text = repr(float(value))
        elif name == "memory-limit":
            _check_type(keyword, value, (str, numbers.Integral), 'a size ("2GB", "512MiB") or a number of bytes')
            text = value if isinstance(value, str) else str(operator.index(value))
        else:
            _check_type(keyword, value, (str, os.PathLike), "a string")
            text = os.fspath(value)
        args.append(f"--{name}={text}")
    return args


def _bind(func, flags, args, kwargs, extra=()):
    try:
        bound = func.__signature__.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"proberows.{func.__name__}(): {e}") from None
    values = dict(bound.arguments)
    return _argv(flags, values), {name: values.get(name, default) for name, default in extra}


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


class _SigintDeferred:
    """In the main thread: SIGINT sets a flag instead of raising
    KeyboardInterrupt at whatever line runs then, so that build() decides:
    it cancels the build and raises KeyboardInterrupt only if no output was
    published (a build that already replaced the output returns normally)."""

    def __init__(self):
        self.hit = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handler)
            except ValueError:  # not the main interpreter
                self._previous = None
        return self

    def _handler(self, signum, frame):
        self.hit = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _run_job(job, progress):
    bar = _progress_bar(progress)
    try:
        with _SigintDeferred() as sigint:
            while not job.wait(0.1):
                if sigint.hit:
                    job.cancel()  # stops between chunks; before publishing, nothing stays
                elif bar is not None:
                    _show(bar, job)
            try:
                summary = job.result()
            except CancelledError:
                if sigint.hit:
                    interrupted = True
                else:
                    raise
            else:
                interrupted = False
                if bar is not None:
                    _show(bar, job)
    finally:
        if bar is not None:
            bar.close()
    if interrupted:
        # Nothing was written and a previous output stays as it was.
        raise KeyboardInterrupt
    return summary


def _keywordize_report(report, flags):
    report["problems"] = [_keywordize(line, flags) for line in report["problems"]]
    return report


def build(*args, **kwargs):
    try:
        argv, extra = _bind(build, _BUILD_FLAGS, args, kwargs, extra=(("progress", True),))
    except Error as e:
        _raise_keywordized(e, _BUILD_FLAGS)
    try:
        if "--dry-run" in argv:
            return _keywordize_report(_proberows._build_schema(argv), _BUILD_FLAGS)
        job = _proberows._start_build(argv)
    except Error as e:
        _raise_keywordized(e, _BUILD_FLAGS)
    try:
        return _run_job(job, extra["progress"])
    except Error as e:
        _raise_keywordized(e, _BUILD_FLAGS)


build.__signature__ = _signature(_BUILD_FLAGS, extra=(("progress", True),))
build.__doc__ = f"""Runs `proberows build` in this process and returns its summary as a dict.

Every flag of `proberows build` is a keyword argument (`--fill-null` is
`fill_null`; `input` and `output` may also be given by position): a flag
without a value takes True or False; a list flag a list or one
comma-separated string; `memory_limit` a size ("1GB", "512MiB") or a number
of bytes; None leaves the CLI's default. `dry_run=True` writes nothing and
returns the report of `schema()` for these options. `progress` shows a tqdm
bar when tqdm is installed.

The build runs in C++ without the GIL. Ctrl-C cancels it: either the build
had already published its output (build() then returns its summary) or
nothing was written, a previous output stays, and KeyboardInterrupt is
raised. Errors raise a proberows.Error subclass carrying the CLI's message
with the keywords in place of the flags (`fill_null=`, not `--fill-null`);
a value of the wrong Python type raises TypeError.

The summary holds the counts of the CLI's summary: "input_measurements",
"keys", "train"/"test" (rows, measurements, sizes, "shards": files with
their XXH3), "phase_seconds", "total_seconds", "peak_rss_bytes", ...,
and "text", the summary the CLI prints.

Keywords (the CLI's flags):
{_describe(_BUILD_FLAGS)}
    progress: a tqdm bar on stderr (default True)
"""


def schema(*args, **kwargs):
    try:
        argv, _ = _bind(schema, _SCHEMA_FLAGS, args, kwargs)
        return _keywordize_report(_proberows._schema(argv), _SCHEMA_FLAGS)
    except Error as e:
        _raise_keywordized(e, _SCHEMA_FLAGS)


schema.__signature__ = _signature(_SCHEMA_FLAGS)
schema.__doc__ = f"""Runs `proberows schema`: what a build with these input options would write.

Takes the flags of `proberows schema` as keyword arguments (as build()).
Returns the report as data: "input", "preset", "rows", "key", "order_by",
"columns" (each "name", "dtype", "layout", "input_type", "nulls"),
"problems" (one line each, with its fix in keywords: what would stop the build),
"ok" (no problems) and "text" (what the CLI prints). A report with problems
is returned, not raised; an input that cannot be read raises proberows.Error.

Keywords (the CLI's flags):
{_describe(_SCHEMA_FLAGS)}
"""
