#include "source/locate_input.h"

#include <algorithm>

#include <fmt/format.h>

#include "source/decode_file.h"
#include "source/duckdb_handle.h"
#include "source/null_census.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

constexpr char kFileColumn[] = "__proberows_file";

// The column name quoted in `message` after `marker` ("column '"), or "".
std::string QuotedAfter(const std::string& message, const std::string& marker) {
  const size_t start = message.find(marker);
  if (start == std::string::npos) return "";
  const size_t begin = start + marker.size();
  const size_t end = message.find('\'', begin);
  return end == std::string::npos ? "" : message.substr(begin, end - begin);
}

absl::StatusOr<std::unique_ptr<DuckDb>> SmallDuckDb() {
  DuckDbOptions options;
  options.memory_limit_bytes = 256ull << 20;
  options.threads = 1;
  return DuckDb::Open(options);
}

}  // namespace

std::string FirstFileWhere(const SourceSchema& schema, const std::string& condition) {
  if (schema.files.empty()) return "";
  const std::string from = schema.ReaderFor(schema.files, fmt::format("filename = '{}'", kFileColumn));
  absl::StatusOr<std::unique_ptr<DuckDb>> db = SmallDuckDb();
  if (!db.ok()) return "";
  absl::StatusOr<QueryResult> r = (*db)->Query(fmt::format("SELECT {0} FROM {1} AS t WHERE {2} ORDER BY {0} LIMIT 1",
                                                           QuoteIdentifier(kFileColumn), from, condition));
  if (!r.ok()) return "";
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok() || !chunk->valid() || chunk->size() == 0) return "";
  return r->Restore(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk->column(0))), 0));
}

int64_t FirstRowWhere(const SourceSchema& schema, const std::string& file, const std::string& condition,
                      const std::string& value_sql, std::string* value) {
  absl::StatusOr<std::unique_ptr<DuckDb>> db = SmallDuckDb();
  if (!db.ok()) return 0;
  // One thread: the rows reach row_number() in file order.
  const std::string shown = value != nullptr ? fmt::format("CAST(({}) AS VARCHAR)", value_sql) : "NULL";
  absl::StatusOr<QueryResult> r = (*db)->Query(
      fmt::format("SELECT n, v FROM (SELECT row_number() OVER () AS n, ({}) AS bad, {} AS v FROM {} AS t) WHERE bad "
                  "ORDER BY n LIMIT 1",
                  condition, shown, schema.ReaderFor({file})));
  if (!r.ok()) return 0;
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok() || !chunk->valid() || chunk->size() == 0) return 0;
  if (value != nullptr && duckdb_validity_row_is_valid(duckdb_vector_get_validity(chunk->column(1)), 0))
    *value = r->Restore(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk->column(1))), 0));
  return static_cast<const int64_t*>(duckdb_vector_get_data(chunk->column(0)))[0];
}

absl::Status NullReport(const SourceSchema& schema) {
  absl::StatusOr<std::unique_ptr<DuckDb>> db = SmallDuckDb();
  if (!db.ok()) return absl::OkStatus();
  absl::StatusOr<std::vector<NullCount>> counts = CountNulls(db->get(), schema);
  if (!counts.ok()) return absl::OkStatus();
  return NullError(schema, *counts);
}

absl::Status AddInputFile(const SourceSchema& schema, const absl::Status& error) {
  if (error.code() == absl::StatusCode::kResourceExhausted &&
      StatusMessage(error).find("Out of Memory Error") != std::string::npos) {
    // DuckDB 1.4's JSON reader keeps a stream it cannot seek (a .bz2 file
    // decoded into a pipe) whole in memory: 2.6 GB for a 2.6 GB hourly dump.
    const bool bzip2 = std::any_of(schema.files.begin(), schema.files.end(),
                                   [](const std::string& f) { return CompressionOf(f) == Compression::kBzip2; });
    return absl::Status(
        error.code(),
        fmt::format("{}; raise --memory-limit (DuckDB gets a quarter of it){}", StatusMessage(error),
                    bzip2 ? ". DuckDB holds each decoded .bz2 input whole in memory: with --preset ripe-atlas-ping "
                            "use --json-reader native (it streams), or give such files as .zst or .gz"
                          : ""));
  }
  if (error.ok() || error.code() != absl::StatusCode::kInvalidArgument) return error;
  const std::string message = StatusMessage(error);
  const std::string column = QuotedAfter(message, "column '");
  if (column.empty()) return error;
  // A NULL the output cannot hold: report every such column at once.
  if (message.find("' is NULL") != std::string::npos || message.find("NULL list") != std::string::npos) {
    absl::Status all = NullReport(schema);
    if (!all.ok()) return all;
  }
  if (schema.files.empty()) return error;
  const SourceColumn* col = nullptr;
  for (const SourceColumn& c : schema.columns)
    if (c.name == column) col = &c;
  const std::string v = col != nullptr ? "(" + col->value_sql + ")" : "t." + QuoteIdentifier(column);
  std::string condition;
  bool with_row = false;  // name the row too (only for values read strictly)
  if (message.find("NULL list element") != std::string::npos) {
    condition = fmt::format("len(list_filter({}, x -> x IS NULL)) > 0", v);
  } else if (message.find("' is NaN") != std::string::npos) {
    condition = fmt::format("isnan({})", v);
  } else if (message.find("does not fit in int64") != std::string::npos && col != nullptr && col->path.size() == 1 &&
             col->spec.list_depth == 0) {
    const std::string q = "t." + QuoteIdentifier(column);
    condition = fmt::format("{0} > 9223372036854775807 OR {0} < -9223372036854775808", q);
  } else if (message.find("' is NULL") != std::string::npos) {
    condition = fmt::format("{} IS NULL", v);
  } else if (message.find("is not an integer like the column's other values") != std::string::npos && col != nullptr &&
             col->strict_int) {
    // A JSON or CSV integer column (read as text) holding something else.
    const auto bad = [](const std::string& x) {
      return fmt::format(
          "({0} IS NOT NULL AND NOT (regexp_full_match({0}, '[+-]?[0-9]+') AND TRY_CAST({0} AS BIGINT) IS NOT "
          "NULL))",
          x);
    };
    with_row = true;
    if (col->spec.list_depth == 0) {
      condition = bad(col->raw_sql);
    } else {
      std::string flat = col->raw_sql;
      for (int i = 1; i < col->spec.list_depth; ++i) flat = fmt::format("flatten({})", flat);
      condition = fmt::format("len(list_filter({}, x -> {})) > 0", flat, bad("x"));
    }
  } else if (message.find("': JSON value ") != std::string::npos &&
             message.find(" is not a string like the column's other values") != std::string::npos && col != nullptr &&
             col->spec.list_depth == 0) {
    // A JSON column of strings holding another kind of value.
    condition = fmt::format("({0} IS NOT NULL AND json_type({0}) NOT IN ('VARCHAR', 'NULL'))", col->raw_sql);
    with_row = true;
  } else {
    return error;
  }
  const std::string file = FirstFileWhere(schema, condition);
  if (file.empty()) return error;
  const int64_t row = with_row ? FirstRowWhere(schema, file, condition) : 0;
  if (row > 0) return absl::Status(error.code(), fmt::format("{} (first in file '{}', row {})", message, file, row));
  return absl::Status(error.code(), fmt::format("{} (first in file '{}')", message, file));
}

std::string LargestKey(const SourceSchema& schema) {
  DuckDbOptions options;
  options.memory_limit_bytes = 256ull << 20;
  options.threads = 1;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(options);
  if (!db.ok()) return "";
  absl::StatusOr<QueryResult> r = (*db)->Query(
      fmt::format("SELECT CAST({} AS VARCHAR), count(*) FROM {} AS t GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
                  schema.key_expr, schema.from_clause));
  if (!r.ok()) return "";
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok() || !chunk->valid() || chunk->size() == 0) return "";
  const std::string key(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk->column(0))), 0));
  const int64_t n = static_cast<const int64_t*>(duckdb_vector_get_data(chunk->column(1)))[0];
  return fmt::format("key {} with {} measurements", schema.key_is_string ? "'" + key + "'" : key, n);
}

}  // namespace proberows
