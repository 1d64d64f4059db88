#include "source/schema_check.h"

#include <map>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

// Column name -> DuckDB type name of one Parquet file.
absl::StatusOr<std::map<std::string, std::string>> SchemaOf(DuckDb* db, const std::string& file) {
  absl::StatusOr<QueryResult> r = db->Query(fmt::format("SELECT * FROM read_parquet({}) LIMIT 0", QuoteLiteral(file)));
  if (!r.ok()) return Annotate(r.status(), "reading input");
  std::map<std::string, std::string> schema;
  for (const ResultColumn& c : r->columns()) schema.emplace(c.name, c.type_name());
  return schema;
}

// Types DuckDB reads into one another without losing values: writers differ
// in integer widths (INT32 vs INT64) and float encodings (FLOAT, DOUBLE,
// DECIMAL), which is harmless; anything else (a string read as a number, a
// float rounded into an integer) must be refused.
std::string Family(const std::string& type) {
  static const char* kInts[] = {"TINYINT",   "SMALLINT", "INTEGER", "BIGINT",  "UTINYINT",
                                "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT", "UHUGEINT"};
  for (const char* t : kInts)
    if (type == t) return "integer";
  if (type == "FLOAT" || type == "DOUBLE" || type.rfind("DECIMAL", 0) == 0) return "float";
  return type;
}

}  // namespace

absl::Status CheckSameParquetSchema(DuckDb* db, const std::vector<std::string>& files) {
  if (files.size() < 2) return absl::OkStatus();
  ASSIGN_OR_RETURN(const auto first, SchemaOf(db, files[0]));
  for (size_t i = 1; i < files.size(); ++i) {
    ASSIGN_OR_RETURN(const auto other, SchemaOf(db, files[i]));
    std::string diff;
    for (const auto& [name, type] : first) {
      auto it = other.find(name);
      if (it == other.end()) {
        diff = fmt::format("has no column '{}'", name);
        break;
      }
      if (Family(it->second) != Family(type)) {
        diff = fmt::format("has column '{}' as {}, not {}", name, it->second, type);
        break;
      }
    }
    if (diff.empty()) {
      for (const auto& [name, type] : other)
        if (!first.count(name)) {
          diff = fmt::format("has an extra column '{}'", name);
          break;
        }
    }
    if (diff.empty()) continue;
    return absl::InvalidArgumentError(fmt::format(
        "input files have different schemas: '{}' {} (unlike '{}'); give files of one schema, or unify them with "
        "--sql",
        files[i], diff, files[0]));
  }
  return absl::OkStatus();
}

}  // namespace proberows
