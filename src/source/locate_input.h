// Finding the input FILE behind a bad value. The scan converts DuckDB chunks,
// which do not say which file a row came from; when a conversion fails, a
// small extra DuckDB query (read_*(..., filename=...)) finds the first file
// holding the offending value so that the message can name it.
#ifndef PROBEROWS_SOURCE_LOCATE_INPUT_H_
#define PROBEROWS_SOURCE_LOCATE_INPUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "source/input_source.h"

namespace proberows {

// The first input file (in file order) with a row matching `condition` (SQL
// over the input's columns), or "" when the input is a --sql query, nothing
// matches or the query fails. Opens its own small DuckDB.
std::string FirstFileWhere(const SourceSchema& schema, const std::string& condition);

// The position (1-based, in file order: a CSV's header is not counted) of
// the first row of input `file` matching `condition`, or 0 when there is
// none or the query fails; with `value`, also that row's `value_sql` as
// text. Opens its own small single-threaded DuckDB.
int64_t FirstRowWhere(const SourceSchema& schema, const std::string& file, const std::string& condition,
                      const std::string& value_sql = "", std::string* value = nullptr);

// If `error` is a conversion error of RowConverter about a NULL value the
// output cannot hold, returns the NULL census's error listing every such
// column with its count, first key and file, and the flags that fix them
// (source/null_census.h); for a NaN order value or an integer out of range,
// `error` with " (first in file 'F')" appended when the input is files, and
// for a value a JSON or CSV column read strictly refused (not an integer,
// not a string) " (first in file 'F', row N)"; a
// DuckDB out-of-memory error gets a hint to raise --memory-limit; otherwise
// returns it unchanged.
absl::Status AddInputFile(const SourceSchema& schema, const absl::Status& error);

// The NULL census's error for `schema` (OK if the output can hold every NULL
// of the input, or the census itself fails). Opens its own small DuckDB and
// scans the input once.
absl::Status NullReport(const SourceSchema& schema);

// "key K with N measurements": the key with the most measurements in the
// input, for messages about a row too large to group; "" if the query fails.
// Opens its own small DuckDB (scans the key column once).
std::string LargestKey(const SourceSchema& schema);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_LOCATE_INPUT_H_
