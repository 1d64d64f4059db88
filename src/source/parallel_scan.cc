#include "source/parallel_scan.h"

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

// One DuckDB thread's converter and sink.
struct ThreadLocalScan {
  ThreadLocalScan(const SourceSchema& schema, uint64_t seed, bool null_lists_as_empty, RecordSink* s)
      : converter(schema, seed, null_lists_as_empty), sink(s) {}
  RowConverter converter;
  RecordSink* sink;
};

// Everything the scalar function needs; outlives the query.
struct ScanState {
  uint64_t id = 0;
  const SourceSchema* schema = nullptr;
  ParallelScanOptions options;
  ScanSinks* sinks = nullptr;

  std::mutex mu;
  std::unordered_map<std::thread::id, std::unique_ptr<ThreadLocalScan>> locals;  // guarded by mu
  absl::Status error;                                                            // guarded by mu
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> rows{0};

  void Fail(absl::Status st) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.ok()) error = std::move(st);
    failed.store(true);
  }
};

std::atomic<uint64_t> next_scan_id{1};

// The calling thread's ThreadLocalScan for `state`, created on first use.
absl::StatusOr<ThreadLocalScan*> LocalFor(ScanState* state) {
  thread_local uint64_t cached_id = 0;
  thread_local ThreadLocalScan* cached = nullptr;
  if (cached_id == state->id) return cached;
  std::lock_guard<std::mutex> lock(state->mu);
  auto& slot = state->locals[std::this_thread::get_id()];
  if (!slot) {
    ASSIGN_OR_RETURN(RecordSink * sink, state->sinks->NewSink(static_cast<int>(state->locals.size() - 1)));
    slot = std::make_unique<ThreadLocalScan>(*state->schema, state->options.seed, state->options.null_lists_as_empty,
                                             sink);
  }
  cached_id = state->id;
  cached = slot.get();
  return cached;
}

void SinkFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  auto* state = static_cast<ScanState*>(duckdb_scalar_function_get_extra_info(info));
  const uint64_t n = duckdb_data_chunk_get_size(input);
  auto* out = static_cast<bool*>(duckdb_vector_get_data(output));
  for (uint64_t i = 0; i < n; ++i) out[i] = true;
  if (state->failed.load(std::memory_order_relaxed)) {
    duckdb_scalar_function_set_error(info, "proberows: scan stopped");
    return;
  }
  absl::Status st;
  if (state->options.cancel != nullptr && state->options.cancel->load(std::memory_order_relaxed)) {
    st = absl::CancelledError("interrupted; no output was written");
  } else {
    absl::StatusOr<ThreadLocalScan*> local = LocalFor(state);
    st = local.ok() ? (*local)->converter.Convert(input, (*local)->sink) : local.status();
  }
  if (!st.ok()) {
    state->Fail(st);
    duckdb_scalar_function_set_error(info, "proberows: scan stopped");
    return;
  }
  state->rows.fetch_add(n, std::memory_order_relaxed);
  if (state->options.rows_scanned != nullptr) state->options.rows_scanned->fetch_add(n, std::memory_order_relaxed);
}

struct LogicalTypeDeleter {
  void operator()(duckdb_logical_type t) const { duckdb_destroy_logical_type(&t); }
};
struct ScalarFunctionDeleter {
  void operator()(duckdb_scalar_function f) const { duckdb_destroy_scalar_function(&f); }
};

}  // namespace

absl::StatusOr<uint64_t> ParallelScan(DuckDb* db, const SourceSchema& schema, const ParallelScanOptions& options,
                                      ScanSinks* sinks) {
  // The function stays in DuckDB's catalog after the query, but its name is
  // unique to this scan, so nothing calls it once the state below is gone.
  auto state = std::make_unique<ScanState>();
  state->id = next_scan_id.fetch_add(1);
  state->schema = &schema;
  state->options = options;
  state->sinks = sinks;

  const std::string name = fmt::format("proberows_sink_{}", state->id);
  {
    std::unique_ptr<_duckdb_scalar_function, ScalarFunctionDeleter> fn(duckdb_create_scalar_function());
    duckdb_scalar_function_set_name(fn.get(), name.c_str());
    std::unique_ptr<_duckdb_logical_type, LogicalTypeDeleter> any(duckdb_create_logical_type(DUCKDB_TYPE_ANY));
    std::unique_ptr<_duckdb_logical_type, LogicalTypeDeleter> boolean(duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN));
    duckdb_scalar_function_set_varargs(fn.get(), any.get());
    duckdb_scalar_function_set_return_type(fn.get(), boolean.get());
    // NULLs reach the converter (which names them); never constant-folded.
    duckdb_scalar_function_set_special_handling(fn.get());
    duckdb_scalar_function_set_volatile(fn.get());
    duckdb_scalar_function_set_extra_info(fn.get(), state.get(), nullptr);
    duckdb_scalar_function_set_function(fn.get(), SinkFunction);
    // NOTE: DuckDB 1.4 silently drops a registration made while a streaming
    // result that was not read to its end is still pending on the connection.
    if (duckdb_register_scalar_function(db->connection(), fn.get()) != DuckDBSuccess)
      return absl::InternalError(fmt::format("cannot register the DuckDB scalar function {}", name));
  }

  std::string args;
  for (size_t c = 0; c < schema.columns.size(); ++c) args += fmt::format("{}c{}", c == 0 ? "" : ", ", c);
  const std::string sql =
      fmt::format("SELECT count({}({})) FROM ({}) AS proberows_scan", name, args, schema.select_sql);
  absl::StatusOr<int64_t> counted = db->QueryInt64(sql);
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (!state->error.ok()) return state->error;
  }
  if (!counted.ok()) return Annotate(counted.status(), "reading input");
  const uint64_t converted = state->rows.load();
  if (static_cast<uint64_t>(*counted) != converted)
    return absl::InternalError(fmt::format("DuckDB counted {} rows but {} were converted", *counted, converted));
  return converted;
}

}  // namespace proberows
