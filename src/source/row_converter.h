// RowConverter: turns DuckDB data chunks (columns as SourceSchema describes)
// into measurement records (group/record.h). The hot path of every strategy.
//
// Thread-safety: one RowConverter per thread; Convert() of different chunks
// may run on different converters concurrently.
#ifndef PROBEROWS_SOURCE_ROW_CONVERTER_H_
#define PROBEROWS_SOURCE_ROW_CONVERTER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"

namespace proberows {

// Receives converted records.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // `record` is a complete measurement record; valid only during the call.
  [[nodiscard]] virtual absl::Status Add(uint64_t key_hash, std::string_view record) = 0;
};

class RowConverter {
 public:
  RowConverter(const SourceSchema& schema, uint64_t seed, bool null_lists_as_empty);

  // Converts every row of `chunk`, handing each record to `sink` in row order.
  // Errors (NULL key, NULL in an integer or string column, NaN order...)
  // name the column and the key.
  [[nodiscard]] absl::Status Convert(duckdb_data_chunk chunk, RecordSink* sink);
  [[nodiscard]] absl::Status Convert(const DataChunk& chunk, RecordSink* sink) { return Convert(chunk.get(), sink); }

  uint64_t rows_converted() const { return rows_; }

 private:
  // Grows record_ so that `need` bytes fit at `p` (a position in it); returns
  // the same position in the possibly moved buffer.
  char* Room(char* p, size_t need) {
    const size_t at = static_cast<size_t>(p - record_.data());
    return record_.size() - at >= need ? p : Grow(at, need);
  }
  char* Grow(size_t at, size_t need);

  // Builds the segment of a nested-list column (depth > 1) into nested_;
  // `access` is the column's ColumnAccess, `top` its list entry (null for a
  // NULL list).
  absl::Status BuildNested(const void* access, const duckdb_list_entry* top, const std::string& column,
                           const std::function<std::string()>& key_text);

  const SourceSchema& schema_;
  const uint64_t seed_;
  const bool null_lists_as_empty_;
  std::string record_;         // raw storage for one record (size = capacity)
  std::string composite_key_;  // the key of the current row, for a composite key
  uint64_t rows_ = 0;
  // Scratch of BuildNested.
  std::string nested_;
  std::vector<duckdb_list_entry> ranges_, next_ranges_;
};

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_ROW_CONVERTER_H_
