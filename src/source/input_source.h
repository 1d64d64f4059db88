// InputSource: what `build` reads. Expands the input globs and folders,
// checks the files, asks DuckDB for the schema (applying a --preset),
// flattens nested columns into leaves (source/flatten.h), decides the type
// of JSON-typed values (source/json_types.h), applies the NULL policy
// (--fill-null, --null-mask), assigns each leaf its role (key, order,
// static, per-measurement) and feature type, and produces the SQL that
// streams the leaves in the physical types RowConverter expects.
#ifndef PROBEROWS_SOURCE_INPUT_SOURCE_H_
#define PROBEROWS_SOURCE_INPUT_SOURCE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "proberows/example.h"
#include "source/duckdb_handle.h"
#include "source/flatten.h"
#include "source/input_files.h"

namespace proberows {

// The physical type a column arrives in after the source SQL's conversions.
enum class PhysicalType {
  kInt64,         // BIGINT
  kDouble,        // DOUBLE
  kString,        // VARCHAR or BLOB
  kListInt64,     // BIGINT[]
  kListDouble,    // DOUBLE[]
  kListString,    // VARCHAR[] or BLOB[]
  kNestedInt64,   // BIGINT[][]... (ColumnSpec::list_depth > 1 levels)
  kNestedDouble,  // DOUBLE[][]...
  kNestedString,  // VARCHAR[][]... or BLOB[][]...
};

// The physical type of `depth` list levels of `element`.
PhysicalType PhysicalTypeOf(ElementKind element, int depth);

struct SourceColumn {
  std::string name;        // the feature name base: the leaf's path joined by '/'
  std::string input_type;  // DuckDB type of the values as the input has them, e.g. "TIMESTAMP", "DOUBLE[]"
  PhysicalType physical = PhysicalType::kInt64;
  ColumnSpec spec;  // feature type, list depth, role
  // The input column (path[0]) and the STRUCT fields leading to this leaf,
  // with the list levels of each step (for the TFDS nesting of features.json).
  std::vector<PathStep> path;
  // SQL (over the input row, aliased t) of the leaf's values in the element
  // type, before any NULL fill: what the NULL census counts.
  std::string value_sql;
  // SQL of the leaf's values as read (before any conversion), and whether
  // they are JSON integers read as text (converted strictly).
  std::string raw_sql;
  bool strict_int = false;
  std::string null_fill;  // --fill-null value ("" when NULLs are not filled)
  bool filled = false;    // NULLs are replaced by null_fill
  std::string mask_of;    // a presence mask (--null-mask): the leaf it records; TFDS dtype bool
  bool key_part = false;  // a part of a composite key (role kStatic, "key" in the metadata)
};

struct SourceSchema {
  // columns[0] is the key; the rest are the payload columns in input order
  // (the order column among them).
  std::vector<SourceColumn> columns;
  int order_index = -1;  // index into columns of the order column
  bool key_is_string = false;
  // SQL for the key in its physical type (over the input's columns); for a
  // composite key, the tuple as text ("(1, x)"), NULL if a part is NULL.
  std::string key_expr;
  // A composite key (--key a,b): columns[0] is hidden (spec.hidden, its SQL
  // a placeholder) and the record key is built from the parts, these
  // indices into columns in key order (source/key_codec.h); empty for a
  // single key column. key_is_string is then true.
  std::vector<int> key_parts;
  // SELECT that yields `columns` in order, physical types, from `from_clause`;
  // the columns are named c0 (the key), c1, ...
  std::string select_sql;
  // "read_parquet([...])", "(SELECT <preset> FROM read_json([...]) AS r)" or
  // "(<user sql>)": usable after FROM.
  std::string from_clause;
  std::vector<std::string> files;  // expanded input files (empty for --sql)
  // The SELECT list of select_sql ("SELECT <c0 expr> AS c0, ..."), without
  // its FROM clause.
  std::string select_list;

  // How the files are read (format and the options pinned for every subset).
  InputReader reader;
  // A preset's transformation: "SELECT * EXCLUDE (...), <expr> AS <name>, ...
  // FROM " (the reader follows, aliased r), or "" without --preset.
  std::string preset_select;
  // What follows the reader in a preset's FROM: " AS r", or, when the input
  // lacks columns the preset reads if present, the end of a subquery adding
  // them as NULLs.
  std::string preset_suffix = " AS r";
  std::string preset;                // --preset name, "" if none
  bool null_lists_as_empty = false;  // --null-lists-as-empty

  std::vector<ColumnSpec> Specs() const;

  // A FROM item reading `subset` (some of `files`) with exactly the column
  // types, reader options and preset of the whole input, so that the union
  // of the subsets' rows equals the whole input's. `extra_options` (e.g.
  // "file_row_number = true") are added to the table function call; the
  // columns they add pass through a preset. REQUIRES: !files.empty().
  std::string ReaderFor(const std::vector<std::string>& subset, const std::string& extra_options = "") const;
  // select_sql over another FROM item (e.g. a ReaderFor() of a subset).
  std::string SelectFrom(const std::string& from_item) const { return select_list + " FROM " + from_item + " AS t"; }
};

// Expands `patterns` (files, globs or folders) into a sorted, de-duplicated
// file list of one format (see source/input_files.h).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& patterns);

// A column (a leaf of a nested column) that cannot be encoded.
struct ColumnProblem {
  std::string column;
  std::string reason;  // e.g. "has type INTERVAL"
};

// Resolves the schema for `options` with `db`. Every column that cannot be
// encoded (a type proberows has no feature for, JSON values without a common
// type, a '/' in a name) is reported in one error, with the flag that drops
// it; or, if `problems` is not null, listed there and left out of the schema
// (for `proberows schema`).
//
// With kCheckEnds, every .gz/.zst input is first checked to its end
// (source/compressed_check.h): a plan, `schema` and `verify` do it; map
// tasks, which read files the plan checked (and fingerprinted), do not.
//
// With --json-reader native (options.json_reader), DuckDB reads none of
// the input files: the preset's pinned JSON columns are the raw columns
// (read_json gives exactly those, whatever the files hold); the native
// reader reports what it cannot read when the map reads the files.
//
// `reader`, when not null, holds the options and strict integer leaves of
// the JSON/CSV reader a plan detected for these files (SourceSchema::reader;
// its format is taken from the files): used instead of detecting them again
// (for JSON a pass over every file). Ignored for Parquet.
enum class CompressedInputs { kTrust, kCheckEnds };
[[nodiscard]] absl::StatusOr<SourceSchema> ResolveSource(DuckDb* db, const BuildOptions& options,
                                                         std::vector<ColumnProblem>* problems = nullptr,
                                                         CompressedInputs compressed = CompressedInputs::kTrust,
                                                         const InputReader* reader = nullptr);

// The types proberows encodes, for messages.
extern const char kSupportedTypes[];

// Renders a key value for messages: 1234 or 'abc'.
std::string RenderKey(bool key_is_string, std::string_view key_sort_bytes);
// Renders a key of `schema` for messages: as RenderKey, or a composite key
// as (1234, 'abc').
std::string RenderSchemaKey(const SourceSchema& schema, std::string_view key_sort_bytes);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_INPUT_SOURCE_H_
