// JSON-typed values: DuckDB types a JSON field JSON when its values disagree
// (old RIPE Atlas firmware writes "avg": "12.5" where newer writes 12.5).
// proberows never passes such values on as text: it looks at the values in a
// sample of the input and picks their real type when they agree on one
//
//   integers (or strings holding integers)            -> int64
//   numbers (or strings holding numbers)              -> float32
//   strings that are not numbers                      -> bytes
//   true/false                                        -> int64 (1/0)
//
// and converts every value with SQL that raises an error naming the column,
// the value and the key for a value outside that type (one the sample did
// not show). Values of different kinds (numbers and words, objects and
// strings) are a problem the caller reports.
#ifndef PROBEROWS_SOURCE_JSON_TYPES_H_
#define PROBEROWS_SOURCE_JSON_TYPES_H_

#include <string>

#include "absl/status/status.h"
#include "source/duckdb_handle.h"
#include "source/flatten.h"

namespace proberows {

// Rows of the input the JSON types are decided from (DuckDB's own sample).
inline constexpr int kJsonSampleRows = 20480;

// Decides `leaf`'s (is_json) type from its values in `sample` (a FROM item
// aliased t, e.g. "(SELECT * FROM read_json(...) LIMIT 20480) AS t"): sets
// leaf->mapping, or leaf->problem when the values have no common type.
// `key_sql` is the key's SQL, for error messages. Errors: the sample query
// failed.
[[nodiscard]] absl::Status ResolveJsonLeaf(DuckDb* db, const std::string& sample, const std::string& key_sql,
                                           Leaf* leaf);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_JSON_TYPES_H_
