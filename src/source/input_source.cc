#include "source/input_source.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "source/compressed_check.h"
#include "source/feature_names.h"
#include "source/json_types.h"
#include "source/key_codec.h"
#include "source/locate_input.h"
#include "source/presets.h"
#include "source/schema_check.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

constexpr const char kSupported[] =
    "supported: BOOLEAN, integers that fit in int64, TIMESTAMP, DATE, FLOAT, DOUBLE, DECIMAL, VARCHAR, BLOB, "
    "UUID, ENUM, JSON holding values of one type, and LISTs, STRUCTs and MAPs of these";

// `leaf` is `target` or lies under it (target "result" covers "result/rtt").
bool Covers(const std::string& target, const std::string& leaf) {
  return leaf == target ||
         (leaf.size() > target.size() && leaf.compare(0, target.size(), target) == 0 && leaf[target.size()] == '/');
}

bool CoveredByAny(const std::vector<std::string>& targets, const std::string& leaf) {
  for (const std::string& t : targets)
    if (Covers(t, leaf)) return true;
  return false;
}

// A --fill-null value as an SQL literal of the leaf's element type, or an
// error naming the flag.
absl::StatusOr<std::string> FillLiteral(const std::string& spec, const std::string& leaf, FeatureType type,
                                        const std::string& value) {
  switch (type) {
    case FeatureType::kInt64: {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size())
        return absl::InvalidArgumentError(
            fmt::format("--fill-null {}: '{}' is not an integer, and column '{}' is int64", spec, value, leaf));
      return fmt::format("CAST({} AS BIGINT)", v);
    }
    case FeatureType::kFloat: {
      char* end = nullptr;
      const double d = std::strtod(value.c_str(), &end);
      if (value.empty() || end != value.c_str() + value.size())
        return absl::InvalidArgumentError(
            fmt::format("--fill-null {}: '{}' is not a number, and column '{}' is float32", spec, value, leaf));
      if (std::isnan(d)) return std::string("CAST('NaN' AS DOUBLE)");
      return fmt::format("CAST({} AS DOUBLE)", QuoteLiteral(value));
    }
    case FeatureType::kBytes: return QuoteLiteral(value);
  }
  return absl::InternalError("unknown feature type");
}

struct FillSpec {
  std::string text;  // as given, for messages
  std::string target;
  std::string value;
  bool used = false;
};

absl::StatusOr<std::vector<FillSpec>> ParseFills(const std::vector<std::string>& specs) {
  std::vector<FillSpec> out;
  for (const std::string& s : specs) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      return absl::InvalidArgumentError(
          fmt::format("--fill-null '{}': expected COLUMN=VALUE, e.g. ttl=-1 (an empty VALUE is the empty string)", s));
    out.push_back(FillSpec{s, s.substr(0, eq), s.substr(eq + 1)});
  }
  return out;
}

// One leaf on its way to a SourceColumn.
struct Planned {
  Leaf leaf;
  ColumnRole role = ColumnRole::kPerMeasurement;
  bool is_order = false;
  bool is_key = false;  // the key or a part of a composite key
};

// Opens the small single-threaded DuckDB that samples the input (the first
// rows in file order, so that the sample is the same on every run).
absl::StatusOr<DuckDb*> SampleDb(std::unique_ptr<DuckDb>* holder) {
  if (*holder == nullptr) {
    DuckDbOptions o;
    o.memory_limit_bytes = 512ull << 20;
    o.threads = 1;
    ASSIGN_OR_RETURN(*holder, DuckDb::Open(o));
  }
  return holder->get();
}

// CSV has no list or struct type: a text column whose values in the sample
// are all JSON arrays or objects is read as that JSON (e.g. "[1.5, 2.5]" as
// DOUBLE[]). Returns the SQL of the parsed value, or "" to keep the text; a
// problem when the JSON values have no common structure.
absl::StatusOr<std::string> CsvJsonColumn(DuckDb* db, const std::string& sample, const std::string& column,
                                          std::string* problem) {
  const std::string q = "t." + QuoteIdentifier(column);
  ASSIGN_OR_RETURN(
      QueryResult r,
      db->Query(fmt::format("SELECT count({0}), count({0}) FILTER (WHERE (starts_with(ltrim({0}), '[') OR "
                            "starts_with(ltrim({0}), '{{')) AND json_valid({0})), "
                            "CAST(json_group_structure(CASE WHEN json_valid({0}) THEN CAST({0} AS JSON) END) AS "
                            "VARCHAR) FROM {1}",
                            q, sample)));
  ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
  if (!chunk.valid() || chunk.size() != 1) return std::string();
  const int64_t values = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(0)))[0];
  const int64_t json = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(1)))[0];
  if (values == 0 || json != values) return std::string();
  const std::string structure(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(2))), 0));
  if (structure.find("\"JSON\"") != std::string::npos || structure.find("\"NULL\"") != std::string::npos) {
    *problem = fmt::format("holds JSON text whose values differ in type (structure {})", structure);
    return std::string();
  }
  return fmt::format("json_transform_strict({}, {})", q, QuoteLiteral(structure));
}

// A relation of no rows with the columns `fields` (name, DuckDB type), as
// SQL usable after FROM.
std::string EmptyRelation(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> columns;
  for (const auto& [name, type] : fields)
    columns.push_back(fmt::format("CAST(NULL AS {}) AS {}", type, QuoteIdentifier(name)));
  return "(SELECT " + absl::StrJoin(columns, ", ") + " LIMIT 0)";
}

}  // namespace

PhysicalType PhysicalTypeOf(ElementKind element, int depth) {
  switch (element) {
    case ElementKind::kInt64:
      return depth == 0 ? PhysicalType::kInt64 : depth == 1 ? PhysicalType::kListInt64 : PhysicalType::kNestedInt64;
    case ElementKind::kDouble:
      return depth == 0 ? PhysicalType::kDouble : depth == 1 ? PhysicalType::kListDouble : PhysicalType::kNestedDouble;
    case ElementKind::kString:
      return depth == 0 ? PhysicalType::kString : depth == 1 ? PhysicalType::kListString : PhysicalType::kNestedString;
  }
  return PhysicalType::kInt64;
}

std::vector<ColumnSpec> SourceSchema::Specs() const {
  std::vector<ColumnSpec> specs;
  for (const SourceColumn& c : columns) specs.push_back(c.spec);
  return specs;
}

absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& patterns) {
  InputFormat format;
  return ExpandInputFiles(patterns, nullptr, &format);
}

std::string SourceSchema::ReaderFor(const std::vector<std::string>& subset, const std::string& extra_options) const {
  const std::string call = reader.Call(subset, extra_options);
  if (preset_select.empty()) return call;
  return "(" + preset_select + call + preset_suffix + ")";
}

const char kSupportedTypes[] =
    "BOOLEAN, integers that fit in int64, TIMESTAMP, DATE, FLOAT, DOUBLE, DECIMAL, VARCHAR, BLOB, UUID, ENUM, JSON "
    "holding values of one type, and LISTs, STRUCTs and MAPs of these";

namespace {

// DuckDB's names are case-insensitive: input columns (or JSON keys) that
// differ only in case come out as "rtt" and "RTT_1". From JSON the second
// reads as NULL (its key "RTT_1" is in no object): values lost; from
// Parquet and CSV it keeps its values under a name nobody gave it. Either
// way the user is told instead. A column is taken for such a rename when it
// is NAME_<digits> and another column spells NAME in another case.
absl::Status CheckCaseOnlyNames(const std::vector<std::string>& names, InputFormat format) {
  for (const std::string& n : names) {
    const size_t us = n.rfind('_');
    if (us == std::string::npos || us == 0 || us + 1 == n.size() ||
        !std::all_of(n.begin() + us + 1, n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const std::string stem = n.substr(0, us);
    for (const std::string& other : names) {
      if (other == stem || !absl::EqualsIgnoreCase(other, stem)) continue;
      if (format == InputFormat::kJson)
        return absl::InvalidArgumentError(fmt::format(
            "input keys '{0}' and '{1}' differ only in case: DuckDB's names are case-insensitive, so it would read "
            "'{1}' as a column '{2}' holding only NULLs (its values lost); rename one of the keys in the input",
            other, stem, n));
      return absl::InvalidArgumentError(fmt::format(
          "input columns '{0}' and '{1}' differ only in case: DuckDB's names are case-insensitive and it renames "
          "'{1}' to '{2}'; name it yourself with --sql, e.g. --sql \"SELECT * EXCLUDE (\\\"{2}\\\"), \\\"{2}\\\" AS "
          "\\\"{1}_2nd\\\" FROM {3}(...)\"",
          other, stem, n, format == InputFormat::kParquet ? "read_parquet" : "read_csv"));
    }
  }
  return absl::OkStatus();
}

// " (first in file 'F', row N: 7.5)" for a float key column of input files
// (a JSON or CSV column typed DOUBLE by one value), or "".
std::string FirstFraction(const SourceSchema& schema, const std::string& column) {
  if (schema.files.empty()) return "";
  const std::string q = "t." + QuoteIdentifier(column);
  const std::string fraction = fmt::format("{0} <> trunc({0})", q);
  const std::string file = FirstFileWhere(schema, fraction);
  if (file.empty()) return "";
  std::string value;
  const int64_t row = FirstRowWhere(schema, file, fraction, q, &value);
  if (row <= 0) return fmt::format(" (first fraction in file '{}')", file);
  return fmt::format(" (first fraction in file '{}', row {}: {})", file, row, value);
}

}  // namespace

absl::StatusOr<SourceSchema> ResolveSource(DuckDb* db, const BuildOptions& options,
                                           std::vector<ColumnProblem>* problems_out, CompressedInputs compressed,
                                           const InputReader* reader) {
  SourceSchema schema;
  schema.null_lists_as_empty = options.null_lists_as_empty;
  schema.preset = options.preset;
  std::unique_ptr<DuckDb> sample_holder;

  // ---- the input and its reader
  std::string raw_from;  // the input before any preset
  InputFormat format = InputFormat::kParquet;
  absl::StatusOr<PresetPlan> plan = absl::NotFoundError("");
  if (!options.sql.empty()) {
    std::string sql = options.sql;
    while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) sql.pop_back();
    raw_from = "(" + sql + ")";
  } else {
    InputFormat forced;
    if (!options.input_format.empty()) {
      ASSIGN_OR_RETURN(forced, ParseInputFormat(options.input_format));
    }
    ASSIGN_OR_RETURN(schema.files,
                     ExpandInputFiles(options.inputs, options.input_format.empty() ? nullptr : &forced, &format));
    // Before DuckDB reads a byte: it would read a .gz/.zst cut short as a
    // shorter, valid file.
    if (compressed == CompressedInputs::kCheckEnds)
      RETURN_IF_ERROR(CheckCompressedInputs(schema.files, options.EffectiveWorkers()));
  }
  if (!options.preset.empty()) {
    plan = PlanPreset(options.preset, format, !options.sql.empty());
    if (!plan.ok()) return plan.status();
  }
  if (options.sql.empty()) {
    if (plan.ok() && format == InputFormat::kJson && !plan->json_columns.empty()) {
      schema.reader.format = format;
      schema.reader.options = plan->json_columns;
    } else if (reader != nullptr && format != InputFormat::kParquet) {
      schema.reader = *reader;
      schema.reader.format = format;
    } else {
      ASSIGN_OR_RETURN(schema.reader, DetectReader(db, format, schema.files));
    }
    if (format == InputFormat::kParquet) RETURN_IF_ERROR(CheckSameParquetSchema(db, schema.files));
    raw_from = schema.reader.Call(schema.files);
  }
  const std::string what = options.sql.empty() ? "reading input" : "--sql query";
  // --json-reader native: DuckDB reads none of the input files. read_json
  // with the preset's pinned columns gives exactly those columns, whatever
  // the files hold, so the schema is described over an empty relation of
  // those types (the from_clause still reads the files); a file the native
  // reader cannot read is its error in the map, naming the file and line.
  // Over .bz2 inputs DuckDB's reads decode through pipes (source/bzip2_pipes.h):
  // about 1 MiB per file per statement, two open pipe ends per file.
  const bool native = options.json_reader == "native" && plan.ok() && format == InputFormat::kJson &&
                      options.sql.empty() && !plan->json_fields.empty();
  const std::string described_raw = native ? EmptyRelation(plan->json_fields) : raw_from;
  if (plan.ok()) {
    // The preset's columns replace the raw ones; columns added by reader
    // options (filename, file_row_number) pass through.
    auto raw = db->Query("SELECT * FROM " + described_raw + " AS r LIMIT 0");
    if (!raw.ok()) return absl::Status(raw.status().code(), fmt::format("{}: {}", what, StatusMessage(raw.status())));
    std::vector<std::string> raw_names;
    for (const ResultColumn& c : raw->columns()) raw_names.push_back(c.name);
    std::vector<std::string> missing;
    for (const std::string& need : plan->required)
      if (std::find(raw_names.begin(), raw_names.end(), need) == raw_names.end()) missing.push_back(need);
    if (!missing.empty())
      return absl::InvalidArgumentError(fmt::format("--preset {}: the input has no column{} {} (its columns: {})",
                                                    options.preset, missing.size() > 1 ? "s" : "",
                                                    absl::StrJoin(missing, ", "), absl::StrJoin(raw_names, ", ")));
    // Optional raw columns the input lacks read as NULL.
    std::string added;
    for (const auto& [name, type] : plan->optional) {
      if (std::find(raw_names.begin(), raw_names.end(), name) != raw_names.end()) continue;
      added += fmt::format(", CAST(NULL AS {}) AS {}", type, QuoteIdentifier(name));
      raw_names.push_back(name);
    }
    std::vector<std::string> quoted;
    for (const std::string& n : raw_names) quoted.push_back(QuoteIdentifier(n));
    std::string select = "SELECT * EXCLUDE (" + absl::StrJoin(quoted, ", ") + ")";
    for (const PresetColumn& c : plan->columns) select += fmt::format(", {} AS {}", c.sql, QuoteIdentifier(c.name));
    if (added.empty()) {
      schema.preset_select = select + " FROM ";
    } else {
      schema.preset_select = select + " FROM (SELECT *" + added + " FROM ";
      schema.preset_suffix = ") AS r";
    }
    schema.from_clause = options.sql.empty() ? schema.ReaderFor(schema.files)
                                             : "(" + schema.preset_select + raw_from + schema.preset_suffix + ")";
  } else {
    schema.from_clause = raw_from;
  }

  const std::string described_from =
      native ? "(" + schema.preset_select + described_raw + schema.preset_suffix + ")" : schema.from_clause;
  auto described = db->Query("SELECT * FROM " + described_from + " AS t LIMIT 0");
  if (!described.ok())
    return absl::Status(described.status().code(), fmt::format("{}: {}", what, StatusMessage(described.status())));
  const std::vector<ResultColumn>& cols = described->columns();
  std::vector<std::string> available;
  for (const ResultColumn& c : cols) available.push_back(c.name);
  if (options.sql.empty() && !plan.ok()) RETURN_IF_ERROR(CheckCaseOnlyNames(available, format));
  auto find = [&](const std::string& name) -> const ResultColumn* {
    for (const ResultColumn& c : cols)
      if (c.name == name) return &c;
    return nullptr;
  };
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  auto missing = [&](const std::string& kind, const std::string& name) {
    return absl::InvalidArgumentError(
        fmt::format("{} '{}' not found in input; available columns: {}", kind, name, absl::StrJoin(available, ", ")));
  };
  const std::vector<std::string> keys = options.KeyColumns();
  const bool composite = keys.size() > 1;
  for (const std::string& k : keys)
    if (!find(k)) return missing("key column", k);
  if (!find(options.order_column)) return missing("order column", options.order_column);
  for (const std::string& c : options.static_columns)
    if (!find(c)) return missing("static column", c);
  for (const std::string& c : options.static_columns)
    if (std::find(options.exclude_columns.begin(), options.exclude_columns.end(), c) != options.exclude_columns.end())
      return absl::InvalidArgumentError(fmt::format("column '{}' is both static and excluded", c));

  // ---- flatten every column into leaves
  const std::string sample = fmt::format("(SELECT * FROM {} AS s LIMIT {}) AS t", schema.from_clause, kJsonSampleRows);
  std::vector<Leaf> all;
  std::vector<std::string> problems;  // "'name' <reason>"
  std::vector<std::string> problem_names;
  for (const ResultColumn& c : cols) {
    std::string base = "t." + QuoteIdentifier(c.name);
    std::shared_ptr<struct _duckdb_logical_type> type = c.type;
    if (format == InputFormat::kCsv && options.sql.empty() && !plan.ok() && c.type_id() == DUCKDB_TYPE_VARCHAR &&
        !contains(keys, c.name) && !schema.reader.strict_int_leaves.count(c.name)) {
      ASSIGN_OR_RETURN(DuckDb * sdb, SampleDb(&sample_holder));
      std::string problem;
      absl::StatusOr<std::string> parsed = CsvJsonColumn(sdb, sample, c.name, &problem);
      if (!parsed.ok()) return Annotate(parsed.status(), what);
      if (!problem.empty()) {
        problems.push_back(fmt::format("'{}' {}", c.name, problem));
        problem_names.push_back(c.name);
        continue;
      }
      if (!parsed->empty()) {
        ASSIGN_OR_RETURN(QueryResult typed, sdb->Query(fmt::format("SELECT {} FROM {} LIMIT 0", *parsed, sample)));
        base = *parsed;
        type = typed.columns()[0].type;
      }
    }
    std::vector<Leaf> leaves = FlattenColumn(c.name, type.get(), base);
    for (Leaf& l : leaves) all.push_back(std::move(l));
  }
  // Deeper lists than an Example can hold are refused here, before any SQL
  // is built over them: the conversions nest once per level and DuckDB's
  // planning of them grew exponentially (depth 24: minutes, not interruptible).
  for (const Leaf& l : all)
    if (l.depth > kMaxListDepth)
      return absl::InvalidArgumentError(
          fmt::format("column '{}' nests {} lists; at most {} are supported", l.name, l.depth, kMaxListDepth));
  // JSON objects have no column order: DuckDB orders fields as it first
  // meets them, which depends on how the rows are split into files. Sort
  // the leaves by name so that the metadata does not.
  if (format == InputFormat::kJson && options.sql.empty() && !plan.ok()) {
    std::stable_sort(all.begin(), all.end(), [](const Leaf& a, const Leaf& b) { return a.name < b.name; });
  }

  // JSON and CSV integers arrive as text (input_files.h): an integer becomes
  // int64, anything else is an error (DuckDB's cast would round "7.5" to 8
  // and read "0x10" as 16, "1_000" as 1000).
  for (Leaf& leaf : all) {
    if (!schema.reader.strict_int_leaves.count(leaf.name) || leaf.type_name != "VARCHAR") continue;
    leaf.strict_int = true;
    leaf.type_name = "BIGINT";
    leaf.mapping.feature = FeatureType::kInt64;
    leaf.mapping.element = ElementKind::kInt64;
  }
  // `key_sql` "" for the key itself (its message names no key).
  const auto strict_int = [](const Leaf& leaf, const std::string& key_sql) {
    const std::string& x = leaf.inner;
    const std::string head =
        fmt::format("error({} || {} || ", QuoteLiteral(fmt::format("column '{}': value ", leaf.name)), x);
    const std::string error =
        key_sql.empty()
            ? head + QuoteLiteral(" is not an integer like the column's other values") + ")"
            : head + fmt::format("{} || CAST({} AS VARCHAR) || ')')",
                                 QuoteLiteral(" is not an integer like the column's other values (key "), key_sql);
    return fmt::format(
        "CASE WHEN {0} IS NULL THEN NULL WHEN regexp_full_match({0}, '[+-]?[0-9]+') THEN COALESCE(TRY_CAST({0} AS "
        "BIGINT), {1}) ELSE {1} END",
        x, error);
  };
  for (Leaf& leaf : all) {
    if (leaf.strict_int && contains(keys, leaf.path[0].name)) leaf.mapping.expr = strict_int(leaf, "");
  }

  // Names given in --include/--exclude: a column, a leaf, or a prefix of leaves.
  auto known = [&](const std::string& name) {
    for (const Leaf& l : all)
      if (Covers(name, l.name)) return true;
    return std::find(problem_names.begin(), problem_names.end(), name) != problem_names.end();
  };
  for (const std::string& c : options.include_columns)
    if (!known(c)) return missing("--include column", c);
  for (const std::string& c : options.exclude_columns)
    if (!known(c)) return missing("--exclude column", c);

  // ---- roles and selection
  std::vector<Planned> planned;
  for (Leaf& leaf : all) {
    const std::string& column = leaf.path[0].name;
    const bool is_key = contains(keys, column);
    const bool is_static = contains(options.static_columns, column);
    const bool is_order = column == options.order_column;
    if (!is_key && !is_static && !is_order) {
      if (!options.include_columns.empty() && !CoveredByAny(options.include_columns, leaf.name)) continue;
      if (CoveredByAny(options.exclude_columns, leaf.name)) continue;
    }
    if ((is_key || is_order) && (leaf.path.size() > 1 || leaf.depth > 0)) {
      const ResultColumn& rc = *find(column);
      return absl::InvalidArgumentError(
          is_key
              ? fmt::format("key column '{}' has type {}; a key must be an integer or a string", column, rc.type_name())
              : fmt::format("order column '{}' has type {}; it must be a number, TIMESTAMP or DATE", column,
                            rc.type_name()));
    }
    Planned p;
    p.leaf = std::move(leaf);
    p.role = is_key && !composite  ? ColumnRole::kKey
             : is_static || is_key ? ColumnRole::kStatic
                                   : ColumnRole::kPerMeasurement;
    p.is_order = is_order;
    p.is_key = is_key;
    planned.push_back(std::move(p));
  }
  for (const std::string& name : problem_names) {
    if (CoveredByAny(options.exclude_columns, name)) {
      for (size_t i = 0; i < problems.size(); ++i)
        if (problems[i].rfind("'" + name + "' ", 0) == 0) problems[i].clear();
    }
  }

  // ---- the key first: its SQL appears in the messages of the others. The
  // parts of a composite key move to the front in key order.
  std::string key_sql;
  std::vector<std::string> part_sql;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = std::find_if(planned.begin() + static_cast<std::ptrdiff_t>(i), planned.end(),
                           [&](const Planned& p) { return p.is_key && p.leaf.path[0].name == keys[i]; });
    Planned& k = *it;
    if (k.leaf.is_json) {
      ASSIGN_OR_RETURN(DuckDb * sdb, SampleDb(&sample_holder));
      RETURN_IF_ERROR(ResolveJsonLeaf(sdb, sample, "'?'", &k.leaf));
    }
    const bool ok = k.leaf.problem.empty() && k.leaf.mapping.ok;
    if (!ok || k.leaf.mapping.feature == FeatureType::kFloat)
      return absl::InvalidArgumentError(fmt::format(
          "key column '{}' has type {}{}; a key must be an integer or a string", k.leaf.name,
          find(k.leaf.name)->type_name(), ok && k.leaf.path.size() == 1 ? FirstFraction(schema, k.leaf.name) : ""));
    part_sql.push_back(k.leaf.mapping.needs_range_check ? RangeCheckedSql(k.leaf.inner, k.leaf.name, k.leaf.inner)
                                                        : k.leaf.mapping.expr);
    std::rotate(planned.begin() + static_cast<std::ptrdiff_t>(i), it, it + 1);
  }
  if (!composite) {
    key_sql = part_sql[0];
  } else {
    // The tuple as text, for messages and NULL counts.
    std::vector<std::string> nulls, texts;
    for (const std::string& p : part_sql) {
      nulls.push_back(fmt::format("({}) IS NULL", p));
      texts.push_back(fmt::format("CAST(({}) AS VARCHAR)", p));
    }
    key_sql = fmt::format("(CASE WHEN {} THEN NULL ELSE '(' || {} || ')' END)", absl::StrJoin(nulls, " OR "),
                          absl::StrJoin(texts, " || ', ' || "));
  }

  // ---- types: JSON values, unsupported types
  for (Planned& p : planned) {
    if (p.is_key) continue;
    if (p.leaf.strict_int) p.leaf.mapping.expr = strict_int(p.leaf, key_sql);
    if (p.leaf.problem.empty() && p.leaf.is_json) {
      ASSIGN_OR_RETURN(DuckDb * sdb, SampleDb(&sample_holder));
      RETURN_IF_ERROR(ResolveJsonLeaf(sdb, sample, key_sql, &p.leaf));
    }
    if (!p.leaf.problem.empty()) {
      problems.push_back(fmt::format("'{}' {}", p.leaf.name, p.leaf.problem));
      problem_names.push_back(p.leaf.name);
      continue;
    }
    if (p.is_order && p.leaf.mapping.feature == FeatureType::kBytes)
      return absl::InvalidArgumentError(fmt::format(
          "order column '{}' has type {}; it must be a number, TIMESTAMP or DATE", p.leaf.name, p.leaf.type_name));
  }
  problems.erase(std::remove(problems.begin(), problems.end(), std::string()), problems.end());
  if (problems_out != nullptr) {
    // Report, and leave the problem columns out.
    for (const std::string& p : problems) {
      const size_t end = p.find('\'', 1);
      problems_out->push_back(ColumnProblem{p.substr(1, end - 1), p.substr(end + 2)});
    }
    planned.erase(
        std::remove_if(planned.begin(), planned.end(), [](const Planned& p) { return !p.leaf.problem.empty(); }),
        planned.end());
    problems.clear();
  }
  if (!problems.empty()) {
    std::vector<std::string> drop;
    for (const std::string& n : problem_names)
      if (!CoveredByAny(options.exclude_columns, n)) drop.push_back(n);
    if (problems.size() == 1) {
      return absl::InvalidArgumentError(
          fmt::format("column {}, which proberows cannot encode ({}); drop it with --exclude {}", problems[0],
                      kSupported, absl::StrJoin(drop, ",")));
    }
    return absl::InvalidArgumentError(fmt::format("{} columns cannot be encoded: {} ({}); drop them with --exclude {}",
                                                  problems.size(), absl::StrJoin(problems, "; "), kSupported,
                                                  absl::StrJoin(drop, ",")));
  }

  // ---- the NULL policy
  ASSIGN_OR_RETURN(std::vector<FillSpec> fills, ParseFills(options.fill_nulls));
  if (options.null_mask && fills.empty())
    return absl::InvalidArgumentError("--null-mask records where --fill-null replaced NULLs; give --fill-null too");

  // ---- the columns and their SQL
  std::vector<std::string> exprs;
  if (composite) {
    // The hidden composite key: RowConverter builds it from the parts.
    SourceColumn sc;
    sc.name = options.key_column;
    sc.input_type = "VARCHAR";
    sc.physical = PhysicalType::kString;
    sc.spec = ColumnSpec{options.key_column, FeatureType::kBytes, 0, ColumnRole::kKey, true};
    sc.value_sql = key_sql;
    sc.raw_sql = key_sql;
    schema.key_is_string = true;
    schema.key_expr = key_sql;
    exprs.push_back("CAST(NULL AS VARCHAR)");
    schema.columns.push_back(std::move(sc));
  }
  for (Planned& p : planned) {
    const Leaf& leaf = p.leaf;
    const ScalarMapping& m = leaf.mapping;
    std::string value = m.needs_range_check ? RangeCheckedSql(leaf.inner, leaf.name, key_sql) : m.expr;
    SourceColumn sc;
    sc.name = leaf.name;
    sc.input_type = leaf.InputType();
    sc.physical = PhysicalTypeOf(m.element, leaf.depth);
    sc.spec = ColumnSpec{leaf.name, m.feature, leaf.depth, p.role};
    sc.path = leaf.path;
    sc.value_sql = leaf.Wrap(value);
    sc.raw_sql = leaf.Wrap(leaf.inner);
    sc.strict_int = leaf.strict_int;
    std::string fill_sql;
    for (FillSpec& f : fills) {
      if (!Covers(f.target, leaf.name)) continue;
      f.used = true;
      if (p.is_key || p.is_order)
        return absl::InvalidArgumentError(fmt::format("--fill-null {}: '{}' is the {} column, which must not be NULL",
                                                      f.text, leaf.name, p.is_key ? "key" : "order"));
      ASSIGN_OR_RETURN(fill_sql, FillLiteral(f.text, leaf.name, m.feature, f.value));
      sc.null_fill = f.value;
      sc.filled = true;
    }
    if (p.role == ColumnRole::kKey) {
      schema.key_is_string = m.feature == FeatureType::kBytes;
      schema.key_expr = key_sql;
    }
    if (p.is_order) schema.order_index = static_cast<int>(schema.columns.size());
    if (composite && p.is_key) {
      sc.key_part = true;
      sc.spec.key_part = true;
      schema.key_parts.push_back(static_cast<int>(schema.columns.size()));
    }
    exprs.push_back(sc.filled ? leaf.Wrap(fmt::format("COALESCE({}, {})", value, fill_sql)) : sc.value_sql);
    const bool masked = sc.filled && options.null_mask;
    schema.columns.push_back(std::move(sc));
    if (masked) {
      SourceColumn mask;
      mask.name = leaf.name + "_present";
      mask.input_type = "BOOLEAN";
      for (int i = 0; i < leaf.depth; ++i) mask.input_type += "[]";
      mask.physical = PhysicalTypeOf(ElementKind::kInt64, leaf.depth);
      mask.spec = ColumnSpec{mask.name, FeatureType::kInt64, leaf.depth, p.role};
      mask.path = leaf.path;
      mask.path.back().name += "_present";
      mask.mask_of = leaf.name;
      mask.value_sql = leaf.Wrap(fmt::format("CAST(({}) IS NOT NULL AS BIGINT)", value));
      exprs.push_back(mask.value_sql);
      schema.columns.push_back(std::move(mask));
    }
  }
  for (const FillSpec& f : fills) {
    if (f.used) continue;
    std::vector<std::string> names;
    for (const SourceColumn& c : schema.columns)
      if (c.mask_of.empty()) names.push_back(c.name);
    return absl::InvalidArgumentError(fmt::format("--fill-null {}: no column '{}' in the output; its columns: {}",
                                                  f.text, f.target, absl::StrJoin(names, ", ")));
  }
  std::string select = "SELECT " + exprs[0] + " AS c0";
  for (size_t i = 1; i < exprs.size(); ++i) select += fmt::format(", {} AS c{}", exprs[i], i);
  schema.select_list = select;
  schema.select_sql = schema.SelectFrom(schema.from_clause);
  // Names TFDS cannot hold (" lts"): refused with the rename to use; the
  // schema report (problems_out) lists them itself (source/feature_names.h).
  if (problems_out == nullptr) {
    const std::vector<std::string> bad = FeatureNameProblems(schema, options.inputs.empty() ? "" : options.inputs[0]);
    if (bad.size() == 1) return absl::InvalidArgumentError(bad[0]);
    if (!bad.empty())
      return absl::InvalidArgumentError(
          fmt::format("{} feature names TFDS cannot hold: {}", bad.size(), absl::StrJoin(bad, "; ")));
  }
  return schema;
}

std::string RenderKey(bool key_is_string, std::string_view key_sort_bytes) {
  if (key_is_string) return fmt::format("'{}'", key_sort_bytes);
  return fmt::format("{}", DecodeIntKey(key_sort_bytes));
}

std::string RenderSchemaKey(const SourceSchema& schema, std::string_view key_sort_bytes) {
  if (schema.key_parts.empty()) return RenderKey(schema.key_is_string, key_sort_bytes);
  std::vector<bool> kinds;
  for (int i : schema.key_parts)
    kinds.push_back(schema.columns[static_cast<size_t>(i)].spec.type == FeatureType::kBytes);
  std::vector<KeyPart> parts;
  if (!DecodeCompositeKey(key_sort_bytes, kinds, &parts)) return "(?)";
  std::vector<std::string> texts;
  for (const KeyPart& p : parts)
    texts.push_back(p.is_string ? fmt::format("'{}'", p.string_value) : fmt::format("{}", p.int_value));
  return "(" + absl::StrJoin(texts, ", ") + ")";
}

}  // namespace proberows
