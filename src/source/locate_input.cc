#include "source/locate_input.h"

#include <fmt/format.h>

#include "source/duckdb_handle.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

constexpr char kFileColumn[] = "__proberows_file";

// "read_parquet([...])" -> "read_parquet([...], filename = '__proberows_file')".
std::string WithFilename(const std::string& from_clause) {
  if (from_clause.empty() || from_clause.back() != ')') return "";
  return fmt::format("{}, filename = '{}')", from_clause.substr(0, from_clause.size() - 1), kFileColumn);
}

// The column name quoted in `message` after `marker` ("column '"), or "".
std::string QuotedAfter(const std::string& message, const std::string& marker) {
  const size_t start = message.find(marker);
  if (start == std::string::npos) return "";
  const size_t begin = start + marker.size();
  const size_t end = message.find('\'', begin);
  return end == std::string::npos ? "" : message.substr(begin, end - begin);
}

}  // namespace

std::string FirstFileWhere(const SourceSchema& schema, const std::string& condition) {
  if (schema.files.empty()) return "";
  const std::string from = WithFilename(schema.from_clause);
  if (from.empty()) return "";
  DuckDbOptions options;
  options.memory_limit_bytes = 256ull << 20;
  options.threads = 1;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(options);
  if (!db.ok()) return "";
  absl::StatusOr<QueryResult> r = (*db)->Query(fmt::format("SELECT {0} FROM {1} AS t WHERE {2} ORDER BY {0} LIMIT 1",
                                                           QuoteIdentifier(kFileColumn), from, condition));
  if (!r.ok()) return "";
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok() || !chunk->valid() || chunk->size() == 0) return "";
  return std::string(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk->column(0))), 0));
}

absl::Status AddInputFile(const SourceSchema& schema, const absl::Status& error) {
  if (error.code() == absl::StatusCode::kResourceExhausted &&
      StatusMessage(error).find("Out of Memory Error") != std::string::npos)
    return absl::Status(error.code(),
                        fmt::format("{}; raise --memory-limit (DuckDB gets a quarter of it)", StatusMessage(error)));
  if (error.ok() || error.code() != absl::StatusCode::kInvalidArgument || schema.files.empty()) return error;
  const std::string message = StatusMessage(error);
  const std::string column = QuotedAfter(message, "column '");
  if (column.empty()) return error;
  const std::string q = QuoteIdentifier(column);
  std::string condition;
  if (message.find("NULL list element") != std::string::npos) {
    condition = fmt::format("len(list_filter({}, x -> x IS NULL)) > 0", q);
  } else if (message.find("' is NaN") != std::string::npos) {
    condition = fmt::format("isnan({})", q);
  } else if (message.find("does not fit in int64") != std::string::npos) {
    condition = fmt::format("{0} > 9223372036854775807 OR {0} < -9223372036854775808", q);
  } else if (message.find("' is NULL") != std::string::npos) {
    condition = fmt::format("{} IS NULL", q);
  } else {
    return error;
  }
  const std::string file = FirstFileWhere(schema, condition);
  if (file.empty()) return error;
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
