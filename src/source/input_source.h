// InputSource: what `build` reads. Expands the input globs, checks the files,
// asks DuckDB for the schema, assigns each column its role (key, order,
// static, per-measurement) and its feature type, and produces the SQL that
// streams the selected columns in the physical types RowConverter expects.
#ifndef PROBEROWS_SOURCE_INPUT_SOURCE_H_
#define PROBEROWS_SOURCE_INPUT_SOURCE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "proberows/example.h"
#include "source/duckdb_handle.h"

namespace proberows {

// The physical type a column arrives in after the source SQL's conversions.
enum class PhysicalType {
  kInt64,       // BIGINT
  kDouble,      // DOUBLE
  kString,      // VARCHAR or BLOB
  kListInt64,   // BIGINT[]
  kListDouble,  // DOUBLE[]
  kListString,  // VARCHAR[] or BLOB[]
};

struct SourceColumn {
  std::string name;        // input column name (= feature name base)
  std::string input_type;  // DuckDB type as the input has it, e.g. "TIMESTAMP"
  PhysicalType physical;
  ColumnSpec spec;  // feature type, list-ness, role
};

struct SourceSchema {
  // columns[0] is the key; the rest are the payload columns in input order
  // (the order column among them).
  std::vector<SourceColumn> columns;
  int order_index = -1;  // index into columns of the order column
  bool key_is_string = false;
  // SQL for the key in its physical type (over the input's columns).
  std::string key_expr;
  // SELECT that yields `columns` in order, physical types, from `from_clause`;
  // the columns are named c0 (the key), c1, ...
  std::string select_sql;
  // "read_parquet([...])" or "(<user sql>)": usable after FROM.
  std::string from_clause;
  std::vector<std::string> files;  // expanded input files (empty for --sql)
  // The SELECT list of select_sql ("SELECT <c0 expr> AS c0, ..."), without
  // its FROM clause.
  std::string select_list;

  std::vector<ColumnSpec> Specs() const;

  // A table function call reading `subset` (some of `files`) with exactly
  // the column types and reader options the whole input is read with, so
  // that the union of the subsets' rows equals the whole input's.
  // `extra_options` (e.g. "file_row_number = true") are added to the call.
  // REQUIRES: !files.empty().
  std::string ReaderFor(const std::vector<std::string>& subset, const std::string& extra_options = "") const;
  // select_sql over another FROM item (e.g. a ReaderFor() of a subset).
  std::string SelectFrom(const std::string& from_item) const { return select_list + " FROM " + from_item + " AS t"; }
};

// Expands `patterns` (files or globs) into a sorted, de-duplicated file list.
// Errors: a path that does not exist, a glob that matches nothing, a folder,
// mixed formats.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& patterns);

// The DuckDB table function call reading `files` ("read_parquet([...])" etc.).
[[nodiscard]] absl::StatusOr<std::string> TableFunctionFor(const std::vector<std::string>& files);

// Resolves the schema for `options` with `db`.
[[nodiscard]] absl::StatusOr<SourceSchema> ResolveSource(DuckDb* db, const BuildOptions& options);

// Renders a key value for messages: 1234 or 'abc'.
std::string RenderKey(bool key_is_string, std::string_view key_sort_bytes);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_INPUT_SOURCE_H_
