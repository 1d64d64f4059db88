// _proberows: the C++ half of the `proberows` Python package
// (python/proberows/__init__.py is the Python half and the documented API).
//
//   Error classes    proberows.Error and one subclass per status code; every
//                    failure reaches Python as one of them, its message the
//                    line the CLI prints after "proberows: error: ".
//   Reader           random access to the decoded rows of a list of shards
//                    (ShardSet), rows as dicts of NumPy arrays.
//   BuildJob         proberows::Build() on a thread of its own, polled from
//                    Python (progress, Ctrl-C) without holding the GIL.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

// NumPy's C API (numpy/arrayobject.h below), imported in the module's init
// function.
#define PY_ARRAY_UNIQUE_SYMBOL proberows_numpy_api
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <numpy/arrayobject.h>

#include "cli/build_flags.h"
#include "cli/cli_util.h"
#include "cli/schema_command.h"
#include "proberows/build_options.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "row_view.h"
#include "shard_set.h"
#include "source/schema_report.h"
#include "util/status_macros.h"

namespace proberows::python {
namespace {

namespace py = pybind11;

// ---------------------------------------------------------------- errors

// A failed status on its way to Python (see the translator in the module
// definition).
struct StatusException {
  absl::Status status;
};

void Check(const absl::Status& status) {
  if (!status.ok()) throw StatusException{status};
}

// The exception classes, created once at import and never freed (they live
// as long as the interpreter).
PyObject* g_error = nullptr;
std::map<absl::StatusCode, PyObject*>* g_errors = nullptr;

void CreateErrorClasses(py::module_& m) {
  g_error = PyErr_NewExceptionWithDoc(
      "proberows.Error",
      "Base class of every proberows error. str(e) is exactly the message the proberows command line prints after "
      "'proberows: error: ' for the same failure.",
      PyExc_Exception, nullptr);
  if (g_error == nullptr) throw py::error_already_set();
  m.attr("Error") = py::handle(g_error);
  g_errors = new std::map<absl::StatusCode, PyObject*>();
  struct Spec {
    absl::StatusCode code;
    const char* name;
    PyObject* also;  // a built-in class it also derives from, or null
  };
  const Spec specs[] = {
      {absl::StatusCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError},
      {absl::StatusCode::kNotFound, "NotFoundError", PyExc_FileNotFoundError},
      {absl::StatusCode::kAlreadyExists, "AlreadyExistsError", PyExc_FileExistsError},
      {absl::StatusCode::kPermissionDenied, "PermissionDeniedError", PyExc_PermissionError},
      {absl::StatusCode::kOutOfRange, "OutOfRangeError", PyExc_IndexError},
      {absl::StatusCode::kFailedPrecondition, "FailedPreconditionError", nullptr},
      {absl::StatusCode::kDataLoss, "DataLossError", nullptr},
      {absl::StatusCode::kResourceExhausted, "ResourceExhaustedError", nullptr},
      {absl::StatusCode::kUnavailable, "UnavailableError", nullptr},
      {absl::StatusCode::kCancelled, "CancelledError", nullptr},
      {absl::StatusCode::kInternal, "InternalError", nullptr},
  };
  for (const Spec& s : specs) {
    py::tuple bases =
        s.also ? py::make_tuple(py::handle(g_error), py::handle(s.also)) : py::make_tuple(py::handle(g_error));
    const std::string qualified = std::string("proberows.") + s.name;
    PyObject* cls = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (cls == nullptr) throw py::error_already_set();
    (*g_errors)[s.code] = cls;
    m.attr(s.name) = py::handle(cls);
  }
}

void SetPythonError(const absl::Status& status) {
  const auto it = g_errors->find(status.code());
  PyObject* cls = it == g_errors->end() ? g_error : it->second;
  const std::string message = StatusMessage(status);
  // Paths need not be UTF-8: never let the message itself fail.
  py::object text = py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace"));
  PyErr_SetObject(cls, text.ptr());
}

// str(h), for messages.
std::string Text(py::handle h) { return py::str(h).cast<std::string>(); }

// ---------------------------------------------------------------- rows

// How ragged features (`x/ragged_flat_values` + `x/ragged_row_lengths_K`)
// come out.
enum class Ragged {
  kFlat,  // as stored: the values and the lengths under their stored names
  kList,  // one entry "x": a list (of lists, for K > 0) of arrays
};

// Decodes row->record (row `index` of `set`): the fast canonical parse, else
// the general decoder, whose error is the one `proberows cat` prints. No GIL
// needed.
absl::Status ParseRow(const ShardSet& set, uint64_t index, RowView* row) {
  if (ParseCanonicalExample(row)) return absl::OkStatus();
  absl::StatusOr<DecodedExample> decoded = DecodeExample(row->record);
  if (!decoded.ok()) return Annotate(decoded.status(), set.Describe(index));
  row->decoded = std::move(decoded).value();
  RowViewFromDecoded(row);
  return absl::OkStatus();
}

// Reads row `index` into `*row` and decodes it. No GIL needed.
absl::Status ReadRow(const ShardSet& set, uint64_t index, RowView* row) {
  row->Clear();
  RETURN_IF_ERROR(set.Read(index, &row->record));
  return ParseRow(set, index, row);
}

// The stored parts of one ragged feature, found in a row.
struct RaggedParts {
  std::string base;             // "x"
  size_t values = 0;            // index in RowView::features of "x/ragged_flat_values"
  std::vector<size_t> lengths;  // "x/ragged_row_lengths_0", "_1", ... (outermost first)
};

// Index of the feature called `name` in `row` (features are sorted), or npos.
size_t FindFeature(const RowView& row, std::string_view name) {
  const auto it = std::lower_bound(row.features.begin(), row.features.end(), name,
                                   [](const RowView::Feature& f, std::string_view n) { return f.name < n; });
  return it != row.features.end() && it->name == name ? static_cast<size_t>(it - row.features.begin())
                                                      : std::string::npos;
}

std::vector<RaggedParts> FindRagged(const RowView& row) {
  std::vector<RaggedParts> found;
  for (size_t i = 0; i < row.features.size(); ++i) {
    const std::string_view name = row.features[i].name;
    if (!name.ends_with(kRaggedValuesSuffix)) continue;
    RaggedParts parts;
    parts.base = std::string(name.substr(0, name.size() - kRaggedValuesSuffix.size()));
    parts.values = i;
    for (int k = 0;; ++k) {
      const size_t at = FindFeature(row, fmt::format("{}/ragged_row_lengths_{}", parts.base, k));
      if (at == std::string::npos) break;
      parts.lengths.push_back(at);
    }
    // Like `proberows cat`: no lengths, or a feature already named "x": leave as stored.
    if (!parts.lengths.empty() && FindFeature(row, parts.base) == std::string::npos) found.push_back(std::move(parts));
  }
  return found;
}

// Checks that ragged parts fit together, so that the conversion (with the
// GIL) cannot fail half-way.
absl::Status CheckRagged(const RowView& row, const RaggedParts& parts) {
  uint64_t expected = 0;
  for (size_t k = 0; k < parts.lengths.size(); ++k) {
    const RowView::Feature& f = row.features[parts.lengths[k]];
    if (f.kind != RowView::Kind::kInt64)
      return absl::DataLossError(fmt::format("feature '{}' is not an int64 list", f.name));
    if (k > 0 && f.count != expected)
      return absl::DataLossError(fmt::format("feature '{}' holds {} lengths but '{}' adds up to {}", f.name, f.count,
                                             row.features[parts.lengths[k - 1]].name, expected));
    expected = 0;
    for (size_t j = 0; j < f.count; ++j) {
      const int64_t n = row.Ints(f)[j];
      if (n < 0) return absl::DataLossError(fmt::format("feature '{}' holds a negative length {}", f.name, n));
      expected += static_cast<uint64_t>(n);
    }
  }
  const RowView::Feature& values = row.features[parts.values];
  if (values.kind == RowView::Kind::kUnset)
    return absl::DataLossError(fmt::format("feature '{}' holds no list", values.name));
  if (values.count != expected)
    return absl::DataLossError(fmt::format("feature '{}' holds {} values but '{}' adds up to {}", values.name,
                                           values.count, row.features[parts.lengths.back()].name, expected));
  return absl::OkStatus();
}

absl::Status CheckRow(const ShardSet& set, uint64_t index, Ragged ragged, const RowView& row) {
  if (ragged != Ragged::kList) return absl::OkStatus();
  for (const RaggedParts& parts : FindRagged(row)) {
    absl::Status status = CheckRagged(row, parts);
    if (!status.ok()) return Annotate(status, set.Describe(index));
  }
  return absl::OkStatus();
}

// Turns RowViews into dicts of NumPy arrays. Needs the GIL (which also
// guards the name cache).
class Converter {
 public:
  explicit Converter(Ragged ragged) : ragged_(ragged) {}

  py::dict ToDict(const RowView& row) {
    py::dict out;
    if (ragged_ == Ragged::kFlat) {
      for (const RowView::Feature& f : row.features) Set(out, Name(f.name), ToArray(row, f));
      return out;
    }
    const std::vector<RaggedParts> ragged = FindRagged(row);
    std::vector<bool> stored_as_ragged(row.features.size(), false);
    std::vector<std::pair<std::string_view, py::object>> items;
    items.reserve(row.features.size());
    for (const RaggedParts& parts : ragged) {
      py::object flat = ToArray(row, row.features[parts.values]);
      const RowView::Feature& inner = row.features[parts.lengths.back()];
      py::list nested = Split(flat, row.Ints(inner), inner.count);
      for (size_t k = parts.lengths.size() - 1; k-- > 0;) {
        const RowView::Feature& f = row.features[parts.lengths[k]];
        nested = Group(nested, row.Ints(f), f.count);
      }
      items.emplace_back(parts.base, std::move(nested));
      stored_as_ragged[parts.values] = true;
      for (size_t l : parts.lengths) stored_as_ragged[l] = true;
    }
    for (size_t i = 0; i < row.features.size(); ++i)
      if (!stored_as_ragged[i]) items.emplace_back(row.features[i].name, ToArray(row, row.features[i]));
    // Name order, as `proberows cat` prints them.
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [name, value] : items) Set(out, Name(name), value);
    return out;
  }

 private:
  static void Set(py::dict& d, const py::object& key, const py::object& value) {
    if (PyDict_SetItem(d.ptr(), key.ptr(), value.ptr()) != 0) throw py::error_already_set();
  }

  // Feature names repeat in every row: one Python string each.
  py::object Name(std::string_view name) {
    const auto it = names_.find(name);
    if (it != names_.end()) return it->second;
    py::object s = py::reinterpret_steal<py::object>(
        PyUnicode_DecodeUTF8(name.data(), static_cast<Py_ssize_t>(name.size()), "replace"));
    if (!s) throw py::error_already_set();
    if (names_.size() < 4096) names_.emplace(std::string(name), s);
    return s;
  }

  static py::object NewArray(int type, size_t n) {
    npy_intp dims[1] = {static_cast<npy_intp>(n)};
    PyObject* a = PyArray_SimpleNew(1, dims, type);
    if (a == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(a);
  }

  static py::object ToArray(const RowView& row, const RowView::Feature& f) {
    switch (f.kind) {
      case RowView::Kind::kInt64: {
        py::object a = NewArray(NPY_INT64, f.count);
        if (f.count) std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(a.ptr())), row.Ints(f), f.count * 8);
        return a;
      }
      case RowView::Kind::kFloat: {
        py::object a = NewArray(NPY_FLOAT32, f.count);
        if (f.count) std::memcpy(PyArray_DATA(reinterpret_cast<PyArrayObject*>(a.ptr())), row.Floats(f), f.count * 4);
        return a;
      }
      case RowView::Kind::kBytes: {
        py::object a = NewArray(NPY_OBJECT, f.count);
        auto** slots = static_cast<PyObject**>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(a.ptr())));
        for (size_t i = 0; i < f.count; ++i) {
          const std::string_view s = row.Strings(f)[i];
          PyObject* b = PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
          if (b == nullptr) throw py::error_already_set();
          Py_XDECREF(slots[i]);  // NumPy fills a new object array with None or NULL
          slots[i] = b;
        }
        return a;
      }
      case RowView::Kind::kUnset: break;
    }
    return py::none();  // a Feature without a list (valid protobuf; never written by proberows)
  }

  // Consecutive pieces of `flat` (views), lengths[i] elements each.
  static py::list Split(const py::object& flat, const int64_t* lengths, size_t n) {
    py::list out(n);
    Py_ssize_t at = 0;
    for (size_t i = 0; i < n; ++i) {
      PyObject* piece = PySequence_GetSlice(flat.ptr(), at, at + lengths[i]);
      if (piece == nullptr) throw py::error_already_set();
      PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), piece);
      at += lengths[i];
    }
    return out;
  }

  static py::list Group(const py::list& items, const int64_t* lengths, size_t n) {
    py::list out(n);
    Py_ssize_t at = 0;
    for (size_t i = 0; i < n; ++i) {
      PyObject* group = PyList_GetSlice(items.ptr(), at, at + lengths[i]);
      if (group == nullptr) throw py::error_already_set();
      PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), group);
      at += lengths[i];
    }
    return out;
  }

  Ragged ragged_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, py::object, Hash, std::equal_to<>> names_;
};

// ---------------------------------------------------------------- Reader

class Reader {
 public:
  Reader(const std::vector<std::string>& files, const std::string& ragged) {
    if (ragged == "flat") {
      ragged_ = Ragged::kFlat;
    } else if (ragged == "list") {
      ragged_ = Ragged::kList;
    } else {
      Check(absl::InvalidArgumentError(fmt::format("ragged='{}': expected 'flat' or 'list'", ragged)));
    }
    converter_ = std::make_unique<Converter>(ragged_);
    absl::StatusOr<std::unique_ptr<ShardSet>> set;
    {
      py::gil_scoped_release release;
      set = ShardSet::Open(Env::Default(), files);
    }
    Check(set.status());
    set_ = std::move(set).value();
  }

  uint64_t size() const { return set_->size(); }
  const std::vector<std::string>& files() const { return set_->files(); }
  std::string ragged() const { return ragged_ == Ragged::kList ? "list" : "flat"; }

  // Python's index rules: a negative index counts from the end; outside the
  // rows, OutOfRangeError (an IndexError).
  uint64_t Index(py::handle index) const {
    py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(index.ptr()));
    if (!i) throw py::error_already_set();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    const auto n = static_cast<long long>(size());
    if (overflow != 0 || v >= n || v < -n)
      Check(absl::OutOfRangeError(fmt::format("index {} is out of range for {} rows", Text(i), n)));
    return static_cast<uint64_t>(v < 0 ? v + n : v);
  }

  py::object GetItem(py::handle key) const {
    if (PySlice_Check(key.ptr())) {
      const auto slice = py::reinterpret_borrow<py::slice>(key);
      size_t start = 0, stop = 0, step = 0, length = 0;
      if (!slice.compute(static_cast<size_t>(size()), &start, &stop, &step, &length)) throw py::error_already_set();
      std::vector<uint64_t> indices(length);
      for (size_t i = 0; i < length; ++i) indices[i] = start + i * step;
      return ReadMany(indices);
    }
    const uint64_t index = Index(key);
    RowView row;
    absl::Status status;
    {
      py::gil_scoped_release release;
      status = ReadRow(*set_, index, &row);
      if (status.ok()) status = CheckRow(*set_, index, ragged_, row);
    }
    Check(status);
    return converter_->ToDict(row);
  }

  // The stored bytes of a row: one serialized tf.train.Example.
  py::bytes Raw(py::handle key) const {
    const uint64_t index = Index(key);
    std::string bytes;
    absl::Status status;
    {
      py::gil_scoped_release release;
      status = set_->Read(index, &bytes);
    }
    Check(status);
    return py::bytes(bytes);
  }

  py::list GetItems(const py::iterable& keys) const {
    std::vector<uint64_t> indices;
    for (py::handle k : keys) indices.push_back(Index(k));
    return ReadMany(indices);
  }

  // Rows [begin, min(end, len)) read sequentially (for iteration).
  py::list ReadRange(uint64_t begin, uint64_t end) const {
    end = std::min<uint64_t>(end, size());
    begin = std::min(begin, end);
    std::vector<RowView> rows(static_cast<size_t>(end - begin));  // never resized: views point into each
    absl::Status status;
    {
      py::gil_scoped_release release;
      std::vector<std::string> records;
      status = set_->ReadRange(begin, end, &records);
      for (size_t i = 0; status.ok() && i < rows.size(); ++i) {
        rows[i].record = std::move(records[i]);
        status = ParseRow(*set_, begin + i, &rows[i]);
        if (status.ok()) status = CheckRow(*set_, begin + i, ragged_, rows[i]);
      }
    }
    Check(status);
    return ToList(rows);
  }

 private:
  py::list ReadMany(const std::vector<uint64_t>& indices) const {
    std::vector<RowView> rows(indices.size());  // never resized: views point into each
    absl::Status status;
    {
      py::gil_scoped_release release;
      for (size_t i = 0; status.ok() && i < indices.size(); ++i) {
        status = ReadRow(*set_, indices[i], &rows[i]);
        if (status.ok()) status = CheckRow(*set_, indices[i], ragged_, rows[i]);
      }
    }
    Check(status);
    return ToList(rows);
  }

  py::list ToList(const std::vector<RowView>& rows) const {
    py::list out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out[i] = converter_->ToDict(rows[i]);
    return out;
  }

  std::unique_ptr<ShardSet> set_;
  Ragged ragged_ = Ragged::kFlat;
  std::unique_ptr<Converter> converter_;  // used with the GIL held only
};

// For tests: decodes `record` as a row (fast canonical path unless
// `general`, which forces DecodeExample). Errors name no file.
py::dict Decode(const py::bytes& record, const std::string& ragged, bool general) {
  RowView row;
  row.record = record;
  if (general || !ParseCanonicalExample(&row)) {
    absl::StatusOr<DecodedExample> decoded = DecodeExample(row.record);
    Check(decoded.status());
    row.decoded = std::move(decoded).value();
    RowViewFromDecoded(&row);
  }
  const Ragged mode = ragged == "list" ? Ragged::kList : Ragged::kFlat;
  if (mode == Ragged::kList)
    for (const RaggedParts& parts : FindRagged(row)) Check(CheckRagged(row, parts));
  Converter converter(mode);
  return converter.ToDict(row);
}

// ---------------------------------------------------------------- BuildJob

py::dict SplitToDict(const SplitStats& s) {
  py::list shards;
  for (const ShardStats& sh : s.shards) {
    py::dict d;
    d["file"] = sh.file;
    d["rows"] = sh.rows;
    d["measurements"] = sh.measurements;
    d["row_bytes"] = sh.row_bytes;
    d["file_bytes"] = sh.file_bytes;
    d["xxh3"] = sh.xxh3;
    shards.append(std::move(d));
  }
  py::dict d;
  d["rows"] = s.rows;
  d["measurements"] = s.measurements;
  d["row_bytes"] = s.row_bytes;
  d["min_row_bytes"] = s.min_row_bytes;
  d["max_row_bytes"] = s.max_row_bytes;
  d["min_measurements"] = s.min_measurements;
  d["max_measurements"] = s.max_measurements;
  d["file_bytes"] = s.file_bytes;
  d["shards"] = std::move(shards);
  return d;
}

py::dict SummaryToDict(const BuildSummary& s) {
  py::dict phases;
  for (const auto& [name, seconds] : s.phase_seconds) phases[py::str(name)] = seconds;
  py::dict d;
  d["output_dir"] = s.output_dir;
  d["strategy"] = s.strategy;
  d["workers"] = s.workers;
  d["workers_requested"] = s.workers_requested;
  d["memory_limit_bytes"] = s.memory_limit_bytes;
  d["input_measurements"] = s.input_measurements;
  d["keys"] = s.keys;
  d["train"] = SplitToDict(s.train);
  d["test"] = SplitToDict(s.test);
  d["phase_seconds"] = std::move(phases);
  d["total_seconds"] = s.total_seconds;
  d["peak_rss_bytes"] = s.peak_rss_bytes;
  d["spill_bytes"] = s.spill_bytes;
  d["spill_kept_bytes"] = s.spill_kept_bytes;
  d["partitions"] = s.partitions;
  d["text"] = FormatSummary(s);
  return d;
}

// Runs Build() on its own thread. Python polls Wait() (which releases the
// GIL, so Ctrl-C is seen between polls) and Progress(), may Cancel(), and
// finally takes Result(). The destructor cancels and joins a running build.
class BuildJob {
 public:
  explicit BuildJob(BuildOptions options) : options_(std::move(options)) {
    thread_ = std::thread([this] {
      absl::StatusOr<BuildSummary> result;
      try {  // no C++ exception may end the process (std::terminate) from this thread
        result = Build(options_, &monitor_);
      } catch (const std::exception& e) {
        result = absl::InternalError(fmt::format("internal error (please report it): {}", e.what()));
      } catch (...) {
        result = absl::InternalError("internal error (please report it): an unknown C++ exception");
      }
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(result);
      done_ = true;
      cv_.notify_all();
    });
  }
  ~BuildJob() {
    if (!thread_.joinable()) return;
    monitor_.cancel = true;
    py::gil_scoped_release release;
    thread_.join();
  }
  BuildJob(const BuildJob&) = delete;
  BuildJob& operator=(const BuildJob&) = delete;

  // True once the build has finished (waits at most `seconds`).
  bool Wait(double seconds) {
    py::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; });
  }

  void Cancel() { monitor_.cancel = true; }

  // (phase name, total measurements, total rows, measurements scanned, rows
  // written, measurements written); totals are 0 until counted.
  py::tuple Progress() const {
    return py::make_tuple(PhaseName(monitor_.phase.load()), monitor_.total_measurements.load(),
                          monitor_.total_rows.load(), monitor_.measurements_scanned.load(),
                          monitor_.rows_written.load(), monitor_.measurements_written.load());
  }

  // The summary; raises the build's error. REQUIRES: Wait() returned true.
  py::dict Result() {
    {
      py::gil_scoped_release release;
      if (thread_.joinable()) thread_.join();
    }
    Check(result_.status());
    return SummaryToDict(*result_);
  }

 private:
  BuildOptions options_;
  BuildMonitor monitor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;                    // guarded by mu_
  absl::StatusOr<BuildSummary> result_;  // guarded by mu_ until done_
  std::thread thread_;
};

// ---------------------------------------------------------------- flags

// The flags of a command, as the Python package generates its keyword
// arguments from them: name (without --), whether it is a flag (no value), a
// list (repeatable / comma-separated), CLI11's type name, the default and
// the help text.
py::list FlagList(const CLI::App& cmd) {
  py::list out;
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->get_lnames().empty() || o->get_lnames()[0] == "help") continue;
    py::dict d;
    d["name"] = o->get_lnames()[0];
    const bool flag = o->get_type_size_max() == 0 || o->get_type_name().empty();
    d["flag"] = flag;
    d["list"] = !flag && (o->get_items_expected_max() > 1 || o->get_delimiter() != '\0');
    d["type"] = o->get_type_name();
    d["default"] = o->get_default_str();
    d["help"] = o->get_description();
    d["required"] = o->get_required();
    out.append(std::move(d));
  }
  return out;
}

// Parses `args` ("--name=value" strings) as `cmd`'s flags; a usage error is
// InvalidArgument with CLI11's message.
void Parse(CLI::App* cmd, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    cmd->parse(args);
  } catch (const CLI::ParseError& e) {
    Check(absl::InvalidArgumentError(e.what()));
  } catch (const NegativeValue& e) {
    Check(absl::InvalidArgumentError(e.message));
  }
}

py::list BuildFlagList() {
  CLI::App app{"build"};
  BuildCommand command;
  command.Add(&app);
  return FlagList(app);
}

py::list SchemaFlagList() {
  CLI::App app;
  SchemaCommand command;
  command.Add(&app);
  return FlagList(*command.command());
}

// Options exactly as `proberows build` turns its flags into them (the same
// definition, src/cli/build_flags.h), with the same messages.
std::unique_ptr<BuildJob> StartBuild(std::vector<std::string> args) {
  CLI::App app{"build"};
  BuildCommand command;
  command.Add(&app);
  Parse(&app, std::move(args));
  Check(command.flags.CheckUsage(&app));
  Check(command.flags.Finish(&app));
  BuildOptions b = command.flags.options;
  b.progress = false;
  return std::make_unique<BuildJob>(std::move(b));
}

py::dict SchemaToDict(const SchemaReport& r) {
  py::list columns;
  for (const SchemaReport::Column& c : r.columns) {
    py::dict d;
    d["name"] = c.name;
    d["dtype"] = c.dtype;
    d["layout"] = c.layout;
    d["input_type"] = c.input_type;
    d["nulls"] = c.nulls;
    columns.append(std::move(d));
  }
  py::dict d;
  d["input"] = r.input;
  d["preset"] = r.preset;
  d["rows"] = r.rows;
  d["key"] = r.key_column;
  d["order_by"] = r.order_column;
  d["columns"] = std::move(columns);
  d["problems"] = r.problem_lines;
  d["ok"] = r.problem_lines.empty();
  d["text"] = r.text;
  return d;
}

py::dict RunSchema(const BuildOptions& options, uint64_t rows) {
  absl::StatusOr<SchemaReport> report;
  {
    py::gil_scoped_release release;
    try {
      report = DescribeSchema(options, rows);
    } catch (const std::exception& e) {
      report = absl::InternalError(fmt::format("internal error (please report it): {}", e.what()));
    }
  }
  Check(report.status());
  return SchemaToDict(*report);
}

// proberows.schema(): the `schema` command's flags.
py::dict Schema(std::vector<std::string> args) {
  CLI::App app;
  SchemaCommand command;
  command.Add(&app);
  std::vector<std::string> full = {"schema"};
  full.insert(full.end(), args.begin(), args.end());
  Parse(&app, std::move(full));
  BuildOptions options;
  uint64_t rows = 0;
  Check(command.Parsed(&options, &rows));
  return RunSchema(options, rows);
}

// build(dry_run=True): the schema of a build's options (`build --dry-run`).
py::dict BuildSchema(std::vector<std::string> args) {
  CLI::App app{"build"};
  BuildCommand command;
  command.Add(&app);
  Parse(&app, std::move(args));
  Check(command.flags.CheckUsage(&app));
  Check(command.flags.Finish(&app));
  return RunSchema(command.flags.options, 0);
}

}  // namespace
}  // namespace proberows::python

PYBIND11_MODULE(_proberows, m) {
  namespace py = pybind11;
  using namespace proberows::python;  // NOLINT(build/namespaces)
  m.doc() = "C++ core of the proberows package; use `import proberows`.";
  if (_import_array() < 0) throw py::error_already_set();
  CreateErrorClasses(m);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusException& e) {
      SetPythonError(e.status);
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      // Never a C++ abort or a bare RuntimeError: proberows.InternalError.
      SetPythonError(absl::InternalError(fmt::format("internal error (please report it): {}", e.what())));
    }
  });

  py::class_<Reader>(m, "Reader", py::module_local())
      .def(py::init<const std::vector<std::string>&, const std::string&>(), py::arg("files"), py::arg("ragged"))
      .def("__len__", &Reader::size)
      .def("__getitem__", &Reader::GetItem, py::arg("index"))
      .def("__getitems__", &Reader::GetItems, py::arg("indices"),
           "Rows at the given indices, as a list (PyTorch's DataLoader uses this for a batch).")
      .def("raw", &Reader::Raw, py::arg("index"), "The stored bytes of a row: a serialized tf.train.Example.")
      .def("_read_range", &Reader::ReadRange, py::arg("begin"), py::arg("end"))
      .def_property_readonly("files", &Reader::files)
      .def_property_readonly("ragged", &Reader::ragged);

  py::class_<BuildJob>(m, "BuildJob", py::module_local())
      .def("wait", &BuildJob::Wait, py::arg("seconds"))
      .def("cancel", &BuildJob::Cancel)
      .def("progress", &BuildJob::Progress)
      .def("result", &BuildJob::Result);

  m.def("_decode", &Decode, py::arg("record"), py::arg("ragged") = "flat", py::arg("general") = false);
  m.def("_start_build", &StartBuild, py::arg("args"));
  m.def("_build_flags", &BuildFlagList);
  m.def("_schema_flags", &SchemaFlagList);
  m.def("_schema", &Schema, py::arg("args"));
  m.def("_build_schema", &BuildSchema, py::arg("args"));
}
