#include "source/json_types.h"

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

// The kinds a JSON value is sorted into, in the order of the query's columns.
enum Kind { kInt, kIntString, kFloat, kFloatString, kText, kBool, kObject, kArray, kNumKinds };

const char* KindName(int k) {
  switch (k) {
    case kInt: return "integer";
    case kIntString: return "string holding an integer";
    case kFloat: return "number";
    case kFloatString: return "string holding a number";
    case kText: return "string";
    case kBool: return "boolean";
    case kObject: return "object";
    case kArray: return "array";
  }
  return "?";
}

// SQL sorting the JSON value `v` into a Kind (NULL for a NULL or JSON null).
std::string KindSql(const std::string& v) {
  return fmt::format(
      "CASE WHEN {0} IS NULL OR json_type({0}) = 'NULL' THEN NULL "
      "WHEN json_type({0}) IN ('BIGINT', 'UBIGINT') THEN {1} "
      "WHEN json_type({0}) = 'DOUBLE' THEN {2} "
      "WHEN json_type({0}) = 'BOOLEAN' THEN {3} "
      "WHEN json_type({0}) = 'OBJECT' THEN {4} "
      "WHEN json_type({0}) = 'ARRAY' THEN {5} "
      "WHEN regexp_full_match({0}->>'$', '[+-]?[0-9]+') THEN {6} "
      "WHEN TRY_CAST({0}->>'$' AS DOUBLE) IS NOT NULL THEN {7} "
      "ELSE {8} END",
      v, static_cast<int>(kInt), static_cast<int>(kFloat), static_cast<int>(kBool), static_cast<int>(kObject),
      static_cast<int>(kArray), static_cast<int>(kIntString), static_cast<int>(kFloatString), static_cast<int>(kText));
}

// SQL raising "column 'c': JSON value V is not <what> (key K)".
std::string ErrorSql(const std::string& v, const std::string& column, const std::string& what,
                     const std::string& key_sql) {
  return fmt::format("error({} || CAST({} AS VARCHAR) || {} || CAST({} AS VARCHAR) || ')')",
                     QuoteLiteral(fmt::format("column '{}': JSON value ", column)), v,
                     QuoteLiteral(fmt::format(" is not {} like the column's other values (key ", what)), key_sql);
}

}  // namespace

absl::Status ResolveJsonLeaf(DuckDb* db, const std::string& sample, const std::string& key_sql, Leaf* leaf) {
  // The leaf's values, flattened to one JSON value per row.
  std::string values = leaf->Wrap(leaf->inner);
  for (int i = 1; i < leaf->depth; ++i) values = fmt::format("flatten({})", values);
  if (leaf->depth > 0) values = fmt::format("unnest({})", values);
  std::string select;
  for (int k = 0; k < kNumKinds; ++k) select += fmt::format("count(*) FILTER (WHERE k = {}), ", k);
  for (int k = 0; k < kNumKinds; ++k)
    select += fmt::format("min(CAST(v AS VARCHAR)) FILTER (WHERE k = {}){}", k, k + 1 < kNumKinds ? ", " : "");
  const std::string sql = fmt::format("SELECT {} FROM (SELECT v, {} AS k FROM (SELECT {} AS v FROM {}))", select,
                                      KindSql("v"), values, sample);
  absl::StatusOr<QueryResult> r = db->Query(sql);
  if (!r.ok()) return Annotate(r.status(), fmt::format("reading the values of JSON column '{}'", leaf->name));
  ASSIGN_OR_RETURN(DataChunk chunk, r->Next());
  if (!chunk.valid() || chunk.size() != 1) return absl::InternalError("JSON type query returned no row");
  int64_t count[kNumKinds];
  std::string example[kNumKinds];
  for (int k = 0; k < kNumKinds; ++k) {
    count[k] = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(k)))[0];
    if (count[k] > 0)
      example[k] =
          std::string(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(kNumKinds + k))), 0));
  }
  const int64_t numbers = count[kInt] + count[kIntString] + count[kFloat] + count[kFloatString];
  const int64_t integers = count[kInt] + count[kIntString];
  const std::string v = leaf->inner;
  const std::string null_test = fmt::format("{0} IS NULL OR json_type({0}) = 'NULL'", v);
  ScalarMapping m;
  m.ok = true;
  int kinds = 0;
  for (int k : {kText, kBool, kObject, kArray}) kinds += count[k] > 0;
  kinds += numbers > 0;
  if (kinds > 1) {
    std::string seen;
    for (int k = 0; k < kNumKinds; ++k) {
      if (count[k] == 0) continue;
      if (!seen.empty()) seen += ", ";
      seen += fmt::format("{} {}", KindName(k), example[k]);
    }
    leaf->problem = fmt::format("holds JSON values of different kinds ({}) with no common type", seen);
    return absl::OkStatus();
  }
  if (count[kObject] > 0 || count[kArray] > 0) {
    leaf->problem =
        fmt::format("holds JSON {}s whose fields differ in type (e.g. {})", count[kObject] > 0 ? "object" : "array",
                    count[kObject] > 0 ? example[kObject] : example[kArray]);
    return absl::OkStatus();
  }
  if (numbers > 0 && integers == numbers) {
    m.feature = FeatureType::kInt64;
    m.element = ElementKind::kInt64;
    // Strictly integers: TRY_CAST('3.5' AS BIGINT) would round.
    m.expr = fmt::format(
        "CASE WHEN {0} THEN NULL WHEN regexp_full_match({1}->>'$', '[+-]?[0-9]+') THEN COALESCE(TRY_CAST({1}->>'$' AS "
        "BIGINT), {2}) ELSE {2} END",
        null_test, v, ErrorSql(v, leaf->name, "an integer", key_sql));
    leaf->type_name = "JSON (integers)";
  } else if (numbers > 0) {
    m.feature = FeatureType::kFloat;
    m.element = ElementKind::kDouble;
    m.expr = fmt::format("CASE WHEN {} THEN NULL ELSE COALESCE(TRY_CAST({}->>'$' AS DOUBLE), {}) END", null_test, v,
                         ErrorSql(v, leaf->name, "a number", key_sql));
    leaf->type_name = "JSON (numbers)";
  } else if (count[kBool] > 0) {
    m.feature = FeatureType::kInt64;
    m.element = ElementKind::kInt64;
    m.expr = fmt::format(
        "CASE WHEN {0} THEN NULL WHEN json_type({1}) = 'BOOLEAN' THEN CAST(({1}->>'$') = 'true' AS BIGINT) ELSE {2} "
        "END",
        null_test, v, ErrorSql(v, leaf->name, "a boolean", key_sql));
    leaf->type_name = "JSON (booleans)";
  } else {
    // Strings, or no value at all in the sample: text, and nothing else.
    m.feature = FeatureType::kBytes;
    m.element = ElementKind::kString;
    m.expr = fmt::format("CASE WHEN {0} THEN NULL WHEN json_type({1}) = 'VARCHAR' THEN {1}->>'$' ELSE {2} END",
                         null_test, v, ErrorSql(v, leaf->name, "a string", key_sql));
    leaf->type_name = count[kText] > 0 ? "JSON (strings)" : "JSON (no values)";
  }
  leaf->mapping = m;
  return absl::OkStatus();
}

}  // namespace proberows
