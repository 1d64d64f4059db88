// Checking and salvaging ArrayRecord files.
//
// VerifyArrayRecordFile walks the whole file from offset 0 to its end, chunk
// by chunk (not just through the footer), checks every block header, chunk
// header, data hash and simple-chunk encoding, cross-checks the footer with
// the chunks it found, and reports all problems instead of stopping at the
// first one. ReadUndamagedRecords returns the records of every intact data
// chunk of a damaged file, skipping damaged ones (using the footer when it is
// intact, and block headers to resynchronize otherwise).
#ifndef PROBEROWS_ARRAY_RECORD_VERIFY_H_
#define PROBEROWS_ARRAY_RECORD_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/env.h"

namespace proberows {

struct ArrayRecordProblem {
  uint64_t offset = 0;      // file position where the problem was found
  std::string description;  // what is wrong, e.g. "chunk data hash mismatch"
};

struct VerifyReport {
  uint64_t file_size = 0;
  // Intact chunks found by the walk, by kind.
  uint64_t num_data_chunks = 0;
  uint64_t num_records = 0;  // records in intact data chunks
  uint64_t num_padding_chunks = 0;
  bool signature_ok = false;
  bool postscript_ok = false;
  bool footer_ok = false;
  // From the footer, when it could be read.
  uint64_t footer_num_chunks = 0;
  uint64_t footer_num_records = 0;
  std::string writer_options;
  std::vector<ArrayRecordProblem> problems;

  bool ok() const { return problems.empty(); }
  // Multi-line human-readable summary: totals, then one line per problem
  // "offset N: description".
  std::string ToString() const;
};

// Verifies `path`. Fails only if the file cannot be opened or read (I/O);
// damage is reported in VerifyReport::problems.
absl::StatusOr<VerifyReport> VerifyArrayRecordFile(Env* env, const std::string& path);

// A data chunk ReadUndamagedRecords could not read.
struct SkippedChunk {
  uint64_t offset = 0;  // chunk position (from the footer, or where the damage begins)
  // Record indices [first_record, end_record) lost, when known (footer intact).
  std::optional<uint64_t> first_record;
  std::optional<uint64_t> end_record;
  std::string reason;
};

struct RecoveryReport {
  bool used_footer = false;  // true: indices are exact; false: found by scanning
  uint64_t chunks_recovered = 0;
  uint64_t records_recovered = 0;
  std::vector<SkippedChunk> skipped;
};

// Calls fn(index, record) for every record of every intact data chunk of
// `path`, in file order. With an intact footer, `index` is the record's true
// index; otherwise the file is scanned and `index` counts recovered records
// (skipped ranges then have no known indices). Opt-in salvage, not for normal
// reads: use ArrayRecordReader, which fails on any damage. Returns an error
// for I/O failures, an unrecognizable file, or an error from fn.
absl::StatusOr<RecoveryReport> ReadUndamagedRecords(Env* env, const std::string& path,
                                                    const std::function<absl::Status(uint64_t, std::string_view)>& fn);

}  // namespace proberows

#endif  // PROBEROWS_ARRAY_RECORD_VERIFY_H_
