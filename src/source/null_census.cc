#include "source/null_census.h"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

constexpr char kFileColumn[] = "__proberows_file";

std::string Flatten(const std::string& v, int times) {
  std::string out = v;
  for (int i = 0; i < times; ++i) out = fmt::format("flatten({})", out);
  return out;
}

// One aggregate triple of the census query.
struct Check {
  NullCount count;
  std::string null_rows;  // SQL over the row: how many NULLs this row has (0 if none)
  std::string total;      // SQL over the row: how many values/lists this row has
  bool is_key = false;
  bool is_order = false;
};

}  // namespace

absl::StatusOr<std::vector<NullCount>> CountNulls(DuckDb* db, const SourceSchema& schema, uint64_t* rows,
                                                  uint64_t max_rows) {
  std::vector<Check> checks;
  std::set<std::pair<std::string, int>> lists_seen;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const SourceColumn& c = schema.columns[i];
    if (!c.mask_of.empty() || c.spec.hidden) continue;  // a composite key: its parts are counted
    const bool is_key = c.spec.role == ColumnRole::kKey || c.key_part;
    const std::string v = fmt::format("v{}", i);
    const int depth = c.spec.list_depth;
    Check values;
    values.count.column = c.name;
    values.count.kind = NullCount::kValues;
    values.count.allowed =
        (c.spec.type == FeatureType::kFloat || c.filled) && !is_key && static_cast<int>(i) != schema.order_index;
    values.is_key = is_key;
    values.is_order = static_cast<int>(i) == schema.order_index;
    if (depth == 0) {
      values.null_rows = fmt::format("CAST({} IS NULL AS BIGINT)", v);
      values.total = "1";
    } else {
      const std::string flat = Flatten(v, depth - 1);
      values.null_rows = fmt::format("COALESCE(len(list_filter({}, x -> x IS NULL)), 0)", flat);
      values.total = fmt::format("COALESCE(len({}), 0)", flat);
    }
    checks.push_back(std::move(values));
    // List levels: each list is counted once, under the name of the column
    // or field that holds it.
    int level = 0;
    std::string owner;
    for (const PathStep& step : c.path) {
      owner += (owner.empty() ? "" : "/") + step.name;
      for (int l = 0; l < step.lists; ++l, ++level) {
        const std::string name = step.lists > 1 && l > 0 ? fmt::format("{} (level {})", owner, l) : owner;
        if (!lists_seen.insert({name, level}).second) continue;
        Check lists;
        lists.count.column = name;
        lists.count.kind = NullCount::kLists;
        lists.count.level = level;
        lists.count.allowed = schema.null_lists_as_empty;
        if (level == 0) {
          lists.null_rows = fmt::format("CAST({} IS NULL AS BIGINT)", v);
          lists.total = "1";
        } else {
          const std::string outer = Flatten(v, level - 1);
          lists.null_rows = fmt::format("COALESCE(len(list_filter({}, x -> x IS NULL)), 0)", outer);
          lists.total = fmt::format("COALESCE(len({}), 0)", outer);
        }
        checks.push_back(std::move(lists));
      }
    }
  }

  const bool with_files = !schema.files.empty();
  std::string from =
      with_files ? schema.ReaderFor(schema.files, fmt::format("filename = '{}'", kFileColumn)) : schema.from_clause;
  if (max_rows > 0) from = fmt::format("(SELECT * FROM {} AS l LIMIT {})", from, max_rows);
  std::vector<std::string> inner = {fmt::format("{} AS __k", schema.key_expr)};
  if (with_files) inner.push_back(fmt::format("{} AS __f", QuoteIdentifier(kFileColumn)));
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    if (schema.columns[i].mask_of.empty()) inner.push_back(fmt::format("{} AS v{}", schema.columns[i].value_sql, i));
  }
  const std::string first = with_files ? "struct_pack(f := __f, k := __k)" : "struct_pack(f := NULL, k := __k)";
  std::vector<std::string> aggregates = {"count(*) AS n"};
  std::vector<std::string> outer = {"n"};
  for (size_t j = 0; j < checks.size(); ++j) {
    const Check& c = checks[j];
    aggregates.push_back(fmt::format("CAST(sum({}) AS BIGINT) AS a{}", c.null_rows, j));
    aggregates.push_back(fmt::format("CAST(sum({}) AS BIGINT) AS b{}", c.total, j));
    aggregates.push_back(fmt::format("min({}) FILTER (WHERE {} > 0) AS m{}", first, c.null_rows, j));
    outer.push_back(
        fmt::format("COALESCE(a{0}, 0), COALESCE(b{0}, 0), CAST(struct_extract(m{0}, 'k') AS VARCHAR), "
                    "CAST(struct_extract(m{0}, 'f') AS VARCHAR)",
                    j));
  }
  const std::string sql =
      fmt::format("SELECT {} FROM (SELECT {} FROM (SELECT {} FROM {} AS t))", absl::StrJoin(outer, ", "),
                  absl::StrJoin(aggregates, ", "), absl::StrJoin(inner, ", "), from);
  ASSIGN_OR_RETURN(QueryResult r, db->Query(sql));
  ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
  if (!chunk.valid() || chunk.size() != 1) return absl::InternalError("the NULL census returned no row");
  auto int_at = [&](size_t col) { return static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(col)))[0]; };
  auto text_at = [&](size_t col) -> std::string {
    uint64_t* validity = duckdb_vector_get_validity(chunk.column(col));
    if (validity != nullptr && !duckdb_validity_row_is_valid(validity, 0)) return "";
    return std::string(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(col))), 0));
  };
  if (rows != nullptr) *rows = static_cast<uint64_t>(int_at(0));
  std::vector<NullCount> out;
  for (size_t j = 0; j < checks.size(); ++j) {
    NullCount n = checks[j].count;
    n.nulls = static_cast<uint64_t>(int_at(1 + 4 * j));
    n.total = static_cast<uint64_t>(int_at(2 + 4 * j));
    const std::string key = text_at(3 + 4 * j);
    if (!key.empty()) n.first_key = schema.key_is_string ? "'" + key + "'" : key;
    n.first_file = r.Restore(text_at(4 + 4 * j));  // a .bz2 input is read through a pipe
    out.push_back(std::move(n));
  }
  return out;
}

absl::Status NullError(const SourceSchema& schema, const std::vector<NullCount>& counts) {
  std::vector<std::string> found, fill, drop, lists, must_drop;
  const std::string key_name = schema.columns.empty() ? "" : schema.columns[0].name;
  const std::string order_name = schema.order_index >= 0 ? schema.columns[schema.order_index].name : "";
  for (const NullCount& n : counts) {
    if (n.allowed || n.nulls == 0) continue;
    std::string first;
    if (!n.first_key.empty()) {
      first = n.first_file.empty() ? fmt::format(" (first: key {})", n.first_key)
                                   : fmt::format(" (first: key {} in file '{}')", n.first_key, n.first_file);
    } else if (!n.first_file.empty()) {
      first = fmt::format(" (first in file '{}')", n.first_file);
    }
    const SourceColumn* col = nullptr;
    for (const SourceColumn& c : schema.columns)
      if (c.name == n.column) col = &c;
    if (n.kind == NullCount::kLists) {
      found.push_back(fmt::format("list '{}' is NULL in {} of {} {}{}", n.column, n.nulls, n.total,
                                  n.level == 0 ? "rows" : "lists", first));
      lists.push_back(n.column);
      continue;
    }
    const bool is_key = n.column == key_name || (col != nullptr && col->key_part);
    if (is_key || n.column == order_name) {
      found.push_back(fmt::format("{} column '{}' is NULL in {} of {} rows{}", is_key ? "key" : "order", n.column,
                                  n.nulls, n.total, first));
      must_drop.push_back(n.column);
      continue;
    }
    const char* type = col == nullptr ? "?" : col->spec.type == FeatureType::kInt64 ? "int64" : "bytes";
    if (col != nullptr && col->spec.list_depth > 0) {
      found.push_back(
          fmt::format("'{}' ({} list) has {} NULL elements of {}{}", n.column, type, n.nulls, n.total, first));
    } else {
      found.push_back(fmt::format("'{}' ({}) is NULL in {} of {} rows{}", n.column, type, n.nulls, n.total, first));
    }
    fill.push_back(n.column + "=VALUE");
    drop.push_back(n.column);
  }
  if (found.empty()) return absl::OkStatus();
  std::vector<std::string> fixes;
  if (!fill.empty())
    fixes.push_back(
        fmt::format("--fill-null {} replaces them (--null-mask adds a feature recording where values "
                    "were NULL)",
                    absl::StrJoin(fill, ",")));
  if (!lists.empty()) fixes.push_back("--null-lists-as-empty reads a NULL list as an empty list");
  for (const std::string& l : lists) drop.push_back(l.substr(0, l.find(" (level")));
  if (!drop.empty())
    fixes.push_back(
        fmt::format("--exclude {} drops the column{}", absl::StrJoin(drop, ","), drop.size() > 1 ? "s" : ""));
  for (const std::string& c : must_drop)
    fixes.push_back(
        fmt::format("rows without '{}' must be dropped, e.g. with --sql \"SELECT * FROM ... WHERE {} IS "
                    "NOT NULL\"",
                    c, QuoteIdentifier(c)));
  return absl::InvalidArgumentError(
      fmt::format("NULL values the output cannot hold (only float features hold NULL, as "
                  "NaN): {}; to fix: {}",
                  absl::StrJoin(found, "; "), absl::StrJoin(fixes, "; or ")));
}

}  // namespace proberows
