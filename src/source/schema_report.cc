#include "source/schema_report.h"

#include <algorithm>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "source/duckdb_handle.h"
#include "source/feature_names.h"
#include "source/input_source.h"
#include "source/null_census.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

const char* DtypeName(const SourceColumn& c) {
  if (!c.mask_of.empty()) return "bool";
  switch (c.spec.type) {
    case FeatureType::kInt64: return "int64";
    case FeatureType::kFloat: return "float32";
    case FeatureType::kBytes: return "bytes";
  }
  return "?";
}

std::string Layout(const SourceColumn& c, int order_index, size_t index) {
  std::string role;
  if (c.spec.role == ColumnRole::kKey || c.key_part) return "per row (key)";
  if (static_cast<int>(index) == order_index) return "per measurement (order)";
  const bool per_row = c.spec.role == ColumnRole::kStatic;
  if (c.spec.list_depth == 0) return per_row ? "per row (static)" : "per measurement";
  return fmt::format("{}ragged, {} level{}", per_row ? "static, " : "", c.spec.list_depth,
                     c.spec.list_depth > 1 ? "s" : "");
}

std::string First(const NullCount& n) {
  if (!n.first_key.empty())
    return n.first_file.empty() ? fmt::format(" (first: key {})", n.first_key)
                                : fmt::format(" (first: key {} in file '{}')", n.first_key, n.first_file);
  if (!n.first_file.empty()) return fmt::format(" (first in file '{}')", n.first_file);
  return "";
}

}  // namespace

absl::StatusOr<SchemaReport> DescribeSchema(const BuildOptions& options, uint64_t max_rows) {
  if (options.inputs.empty() && options.sql.empty())
    return absl::InvalidArgumentError("no input: give --input FILE_OR_GLOB... or --sql QUERY");
  if (!options.inputs.empty() && !options.sql.empty())
    return absl::InvalidArgumentError("--input and --sql are mutually exclusive");
  DuckDbOptions db_options;
  db_options.memory_limit_bytes = std::max<uint64_t>(options.memory_limit_bytes / 2, 256ull << 20);
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, DuckDb::Open(db_options));
  std::vector<ColumnProblem> problems;
  ASSIGN_OR_RETURN(SourceSchema schema, ResolveSource(db.get(), options, &problems, CompressedInputs::kCheckEnds));
  uint64_t rows = 0;
  absl::StatusOr<std::vector<NullCount>> counts = CountNulls(db.get(), schema, &rows, max_rows);
  if (!counts.ok()) return Annotate(counts.status(), "reading input");

  SchemaReport report;
  std::string& out = report.text;
  std::string input;
  if (!schema.files.empty()) {
    input = fmt::format("{} {} file(s)", schema.files.size(), InputFormatName(schema.reader.format));
  } else {
    input = "the --sql query";
  }
  out += fmt::format("input: {}{}; {} rows {}\n", input,
                     schema.preset.empty() ? "" : fmt::format(", preset {}", schema.preset), rows,
                     max_rows > 0 ? fmt::format("looked at (--rows {})", max_rows) : "read");
  out += fmt::format("one row per '{}', measurements ordered by '{}'\n", schema.columns[0].name,
                     schema.order_index >= 0 ? schema.columns[schema.order_index].name : "?");
  if (options.CutsRows()) {
    // --max-measurements-per-row / --row-window (group/row_cut.h).
    std::string how;
    if (!options.row_window.empty()) how = fmt::format("one per window of {}", options.row_window);
    if (options.max_measurements_per_row > 0)
      how += fmt::format("{}at most {} measurements each", how.empty() ? "" : ", ", options.max_measurements_per_row);
    out += fmt::format("rows cut: {}; each row also holds row_index{} (int64)\n", how,
                       options.row_window.empty() ? "" : " and window_start");
  }
  report.input = input;
  report.preset = schema.preset;
  report.rows = rows;
  report.key_column = schema.columns[0].name;
  report.order_column = schema.order_index >= 0 ? schema.columns[schema.order_index].name : "";

  // Per column: its values' NULLs; lists are counted under the column or
  // field that holds them.
  std::map<std::string, const NullCount*> values, lists;
  for (const NullCount& n : *counts) (n.kind == NullCount::kValues ? values : lists)[n.column] = &n;
  // A composite key's hidden column is not listed: its parts are.
  size_t width = 6, listed = 0;
  for (const SourceColumn& c : schema.columns) {
    if (c.spec.hidden) continue;
    width = std::max(width, c.name.size());
    ++listed;
  }
  out += fmt::format(
      "columns ({}; a ragged column x is stored as x/ragged_flat_values and "
      "x/ragged_row_lengths_<level>):\n",
      listed);
  out +=
      fmt::format("  {:<{}}  {:<7}  {:<26}  {:<22}  {}\n", "column", width, "dtype", "layout", "input type", "NULLs");
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const SourceColumn& c = schema.columns[i];
    if (c.spec.hidden) continue;
    std::string nulls;
    if (!c.mask_of.empty()) {
      nulls = fmt::format("none (records where '{}' was NULL)", c.mask_of);
    } else if (auto it = values.find(c.name); it != values.end()) {
      const NullCount& n = *it->second;
      const char* of = c.spec.list_depth > 0 ? "elements" : "rows";
      if (n.nulls == 0) {
        nulls = "none";
      } else if (c.filled) {
        nulls = fmt::format("{} of {} {} -> filled with '{}'", n.nulls, n.total, of, c.null_fill);
      } else if (n.allowed) {
        nulls = fmt::format("{} of {} {} -> NaN", n.nulls, n.total, of);
      } else {
        nulls = fmt::format("{} of {} {} -> FAILS", n.nulls, n.total, of);
      }
    }
    if (auto it = lists.find(c.name); it != lists.end() && it->second->nulls > 0) {
      nulls += fmt::format("; NULL list in {} of {} rows -> {}", it->second->nulls, it->second->total,
                           it->second->allowed ? "empty" : "FAILS");
    }
    out += fmt::format("  {:<{}}  {:<7}  {:<26}  {:<22}  {}\n", c.name, width, DtypeName(c),
                       Layout(c, schema.order_index, i), c.input_type, nulls);
    report.columns.push_back({c.name, DtypeName(c), Layout(c, schema.order_index, i), c.input_type, nulls});
  }

  // Everything that would stop the build, each with its fix.
  std::vector<std::string> lines;
  for (const ColumnProblem& p : problems)
    lines.push_back(fmt::format("'{}' {}: drop it with --exclude {}", p.column, p.reason, p.column));
  for (const NullCount& n : *counts) {
    if (n.allowed || n.nulls == 0) continue;
    const SourceColumn* col = nullptr;
    for (const SourceColumn& c : schema.columns)
      if (c.name == n.column) col = &c;
    if (n.kind == NullCount::kLists) {
      lines.push_back(
          fmt::format("list '{}' is NULL in {} of {} {}{}: --null-lists-as-empty reads it as an empty "
                      "list, or --exclude {} drops it",
                      n.column, n.nulls, n.total, n.level == 0 ? "rows" : "lists", First(n),
                      n.column.substr(0, n.column.find(" (level"))));
    } else if (col != nullptr &&
               (col->spec.role == ColumnRole::kKey || col->key_part || &*col == &schema.columns[schema.order_index])) {
      lines.push_back(
          fmt::format("{} column '{}' is NULL in {} of {} rows{}: drop those rows, e.g. with --sql "
                      "\"SELECT * FROM ... WHERE {} IS NOT NULL\"",
                      col->spec.role == ColumnRole::kKey || col->key_part ? "key" : "order", n.column, n.nulls, n.total,
                      First(n), QuoteIdentifier(n.column)));
    } else {
      lines.push_back(fmt::format(
          "'{}' ({}{}) has {} NULL {} of {}{}: --fill-null {}=VALUE replaces them "
          "(--null-mask records where), or --exclude {} drops it",
          n.column, col != nullptr ? DtypeName(*col) : "?", col != nullptr && col->spec.list_depth > 0 ? " list" : "",
          n.nulls, col != nullptr && col->spec.list_depth > 0 ? "elements" : "values", n.total, First(n), n.column,
          n.column));
    }
  }
  // Feature names TFDS cannot hold (source/feature_names.h).
  for (std::string& line : FeatureNameProblems(schema, options.inputs.empty() ? "" : options.inputs[0]))
    lines.push_back(std::move(line));
  // Static columns: one value per key, else the build stops.
  std::vector<size_t> statics;
  for (size_t i = 0; i < schema.columns.size(); ++i)
    if (schema.columns[i].spec.role == ColumnRole::kStatic && !schema.columns[i].key_part) statics.push_back(i);
  if (!statics.empty()) {
    std::string inner = fmt::format("{} AS k", schema.key_expr), per_key, outer = "count(*)";
    for (size_t j = 0; j < statics.size(); ++j) {
      inner += fmt::format(", {} AS v{}", schema.columns[statics[j]].value_sql, j);
      per_key += fmt::format(", count(DISTINCT v{0}) + (count(*) > count(v{0}) AND count(v{0}) > 0)::INT AS d{0}", j);
      outer += fmt::format(", count(*) FILTER (WHERE d{0} > 1), min(k) FILTER (WHERE d{0} > 1)", j);
    }
    std::string from = schema.from_clause;
    if (max_rows > 0) from = fmt::format("(SELECT * FROM {} AS l LIMIT {})", from, max_rows);
    ASSIGN_OR_RETURN(QueryResult r, db->Query(fmt::format("SELECT {} FROM (SELECT k{} FROM (SELECT {} FROM {} AS t) "
                                                          "GROUP BY k)",
                                                          outer, per_key, inner, from)));
    ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
    if (chunk.valid() && chunk.size() == 1) {
      const int64_t keys = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(0)))[0];
      for (size_t j = 0; j < statics.size(); ++j) {
        const int64_t differ = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(1 + 2 * j)))[0];
        if (differ == 0) continue;
        duckdb_vector kv = chunk.column(2 + 2 * j);
        const std::string key =
            schema.key_is_string
                ? "'" + std::string(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(kv)), 0)) + "'"
                : std::to_string(static_cast<const int64_t*>(duckdb_vector_get_data(kv))[0]);
        const std::string& name = schema.columns[statics[j]].name;
        lines.push_back(
            fmt::format("static column '{}' differs within {} of {} keys (first: key {}): drop it from "
                        "--static-columns",
                        name, differ, keys, key));
      }
    }
  }
  report.problems = lines.size();
  report.problem_lines = lines;
  if (lines.empty()) {
    out += "problems: none; the build can run\n";
  } else {
    out += fmt::format("problems ({}), each stops the build:\n", lines.size());
    for (const std::string& l : lines) out += "  " + l + "\n";
  }
  return report;
}

}  // namespace proberows
