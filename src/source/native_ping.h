// NativePingScan: the native reader of `--preset ripe-atlas-ping`
// (--json-reader native). RIPE Atlas ping results as JSON lines are parsed
// with simdjson (On-Demand) straight into measurement records, the records
// RowConverter makes of the DuckDB preset's rows (source/presets.cc): the
// same COALESCEs, firmware shapes, NaN rules and errors. The DuckDB path is
// the reference; tests/native_ping_test.cc proves the output bytes equal.
//
// Threads: plain files are cut into byte ranges at line boundaries; a
// compressed file (.bz2, .gz, .zst: source/decode_file.h) is one range,
// decoded as it is read, never written out decompressed, and opened only
// while it is read. Each thread takes ranges in turn and converts them into
// its own sink.
//
// What the native reader cannot map exactly (a value of a type the DuckDB
// reader would convert, a line that is not one JSON object, a JSON array
// file, a schema changed by --fill-null...) is an error naming the file, the
// line and the field, never a silent difference; a truncated or damaged
// compressed file is an error naming the file, never a shorter input.
#ifndef PROBEROWS_SOURCE_NATIVE_PING_H_
#define PROBEROWS_SOURCE_NATIVE_PING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "source/input_source.h"
#include "source/parallel_scan.h"

namespace proberows {

// OK when the native reader builds exactly the records of `schema` for
// `options` (--preset ripe-atlas-ping, JSON lines, the preset's columns as
// they are); otherwise InvalidArgument saying what it does not read.
[[nodiscard]] absl::Status CheckNativePing(const BuildOptions& options, const SourceSchema& schema);

// Converts every result of `files` into records handed to sinks made by
// `sinks` (one per thread, at most `threads`). Returns the number of
// records. REQUIRES: CheckNativePing(options, schema) is OK.
[[nodiscard]] absl::StatusOr<uint64_t> NativePingScan(const SourceSchema& schema, const std::vector<std::string>& files,
                                                      const ParallelScanOptions& options, int threads,
                                                      ScanSinks* sinks);

// Converts the results of the first lines of `files`, in order, into
// records handed to `sink`, until `max_records` are made or the files end:
// the records NativePingScan makes of them (the plan's estimate of the
// record size). A compressed file is decoded only as far as those lines.
// Returns the number of records; errors as NativePingScan's. Single
// threaded. REQUIRES: CheckNativePing(options, schema) is OK.
[[nodiscard]] absl::StatusOr<uint64_t> NativePingHead(const SourceSchema& schema, const std::vector<std::string>& files,
                                                      uint64_t max_records, uint64_t seed, RecordSink* sink);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_NATIVE_PING_H_
