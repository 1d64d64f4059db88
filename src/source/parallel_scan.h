// ParallelScan: converts the whole input on DuckDB's own threads.
//
// A streaming result hands every chunk to one consumer thread, so on a small
// machine conversion (not DuckDB) bounds the scan. Here the source query runs
// as
//
//   SELECT count(proberows_sink_<n>(c0, c1, ...)) FROM (<select_sql>)
//
// where proberows_sink_<n> is a volatile C API scalar function: DuckDB calls
// it on whichever of its threads runs the pipeline, with a chunk of rows, and
// each calling thread converts its chunks with its own RowConverter into its
// own RecordSink. Records reach the sinks in no particular order; every
// consumer sorts them (docs/design.md), so the output does not depend on it.
//
// Errors: the first conversion or sink error stops the query and is returned
// as is (not wrapped in DuckDB's message); DuckDB's own errors (a corrupt
// file...) come back as DuckDB words them, after "reading input: ".
#ifndef PROBEROWS_SOURCE_PARALLEL_SCAN_H_
#define PROBEROWS_SOURCE_PARALLEL_SCAN_H_

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"
#include "source/row_converter.h"

namespace proberows {

// Makes the per-thread sinks of a scan.
class ScanSinks {
 public:
  virtual ~ScanSinks() = default;
  // Called (serialized) the first time a DuckDB thread delivers rows, with
  // 0, 1, 2... in order of arrival. The sink is used by that thread only and
  // must stay valid until ParallelScan returns.
  [[nodiscard]] virtual absl::StatusOr<RecordSink*> NewSink(int thread_index) = 0;
};

struct ParallelScanOptions {
  uint64_t seed = 0;
  bool null_lists_as_empty = false;
  // Checked once per chunk; when set the scan stops with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Incremented by the rows of every converted chunk (may be null).
  std::atomic<uint64_t>* rows_scanned = nullptr;
};

// Runs schema.select_sql through the sinks; returns the number of rows
// converted (DuckDB's count, cross-checked against the converters' own).
[[nodiscard]] absl::StatusOr<uint64_t> ParallelScan(DuckDb* db, const SourceSchema& schema,
                                                    const ParallelScanOptions& options, ScanSinks* sinks);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_PARALLEL_SCAN_H_
