// The NULL census: one scan of the input that counts, for every column the
// output cannot hold a NULL in, the NULLs it has, so that a build reports all
// of them in one error (with the flags that fix each) instead of stopping at
// the first, and `proberows schema` can show each column's nullability.
//
// What cannot hold a NULL (docs/output-format.md, "NULL values"):
//   * an int64 or bytes value, unless --fill-null gives it a value (a NULL
//     float is NaN);
//   * a list, at any level, unless --null-lists-as-empty;
//   * the key and the order value.
#ifndef PROBEROWS_SOURCE_NULL_CENSUS_H_
#define PROBEROWS_SOURCE_NULL_CENSUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"

namespace proberows {

struct NullCount {
  std::string column;  // a leaf name
  enum Kind {
    kValues,  // NULL values (scalars, or the elements of lists)
    kLists,   // NULL lists (the value itself, or a list inside a list)
  } kind = kValues;
  int level = 0;         // kLists: the list level (0: the value itself, per row)
  bool allowed = false;  // the output holds them (NaN, a fill, an empty list)
  uint64_t nulls = 0;
  uint64_t total = 0;      // values (measurements for a scalar) or lists
  std::string first_key;   // rendered key of the first row with one ("" if none)
  std::string first_file;  // its input file ("" for --sql input)
};

// Counts the NULLs of every column of `schema` (leaf values and list levels)
// with `db` in one query. `rows`, if not null, receives the number of input
// rows. Errors: the query failed (e.g. a value that does not convert).
// `max_rows` > 0 looks at the first `max_rows` rows only.
[[nodiscard]] absl::StatusOr<std::vector<NullCount>> CountNulls(DuckDb* db, const SourceSchema& schema,
                                                                uint64_t* rows = nullptr, uint64_t max_rows = 0);

// The one-line error for the NULLs the output cannot hold (the counts that
// are not `allowed` and have nulls > 0): every column with its count and
// first occurrence, then the flags that fix them. OK when there are none.
absl::Status NullError(const SourceSchema& schema, const std::vector<NullCount>& counts);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_NULL_CENSUS_H_
