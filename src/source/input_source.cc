#include "source/input_source.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "source/key_codec.h"
#include "source/schema_check.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

enum class Format { kParquet, kCsv, kJson };

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Format FormatOf(const std::string& path) {
  std::string p = path;
  for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* gz : {".gz", ".zst"})
    if (EndsWith(p, gz)) p.resize(p.size() - std::string(gz).size());
  if (EndsWith(p, ".csv") || EndsWith(p, ".tsv")) return Format::kCsv;
  if (EndsWith(p, ".json") || EndsWith(p, ".jsonl") || EndsWith(p, ".ndjson")) return Format::kJson;
  return Format::kParquet;
}

const char* FormatName(Format f) {
  switch (f) {
    case Format::kParquet: return "Parquet";
    case Format::kCsv: return "CSV";
    case Format::kJson: return "JSON";
  }
  return "?";
}

bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) {
  glob_t g;
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (rc == GLOB_ABORTED) {
    // Most often the folder the pattern starts from is missing: say so.
    const std::string fixed = pattern.substr(0, pattern.find_first_of("*?["));
    const size_t slash = fixed.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : fixed.substr(0, slash);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
      return absl::NotFoundError(fmt::format("input '{}': folder '{}' does not exist", pattern, dir));
  }
  if (rc != 0 && rc != GLOB_NOMATCH)
    return absl::InvalidArgumentError(fmt::format("input '{}': cannot expand the pattern", pattern));
  return out;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// How a column of a given DuckDB type becomes a feature.
struct TypeMapping {
  bool ok = false;
  FeatureType feature = FeatureType::kInt64;
  PhysicalType physical = PhysicalType::kInt64;
  bool needs_range_check = false;  // UBIGINT, HUGEINT, UHUGEINT
  std::string expr;                // SQL turning the input value `{}` into the physical type
};

// Maps a scalar (non-list) type. `x` is the SQL for the value.
TypeMapping MapScalar(duckdb_logical_type t, const std::string& x) {
  TypeMapping m;
  m.ok = true;
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BIGINT: m.expr = x; return m;
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER: m.expr = fmt::format("CAST({} AS BIGINT)", x); return m;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      m.needs_range_check = true;
      m.expr = x;  // wrapped by the caller, which knows the column name
      return m;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: m.expr = fmt::format("epoch_us({})", x); return m;
    case DUCKDB_TYPE_DATE: m.expr = fmt::format("CAST(({} - DATE '1970-01-01') AS BIGINT)", x); return m;
    case DUCKDB_TYPE_DOUBLE:
      m.feature = FeatureType::kFloat;
      m.physical = PhysicalType::kDouble;
      m.expr = x;
      return m;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DECIMAL:
      m.feature = FeatureType::kFloat;
      m.physical = PhysicalType::kDouble;
      m.expr = fmt::format("CAST({} AS DOUBLE)", x);
      return m;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      m.feature = FeatureType::kBytes;
      m.physical = PhysicalType::kString;
      m.expr = x;
      return m;
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_ENUM:
      m.feature = FeatureType::kBytes;
      m.physical = PhysicalType::kString;
      m.expr = fmt::format("CAST({} AS VARCHAR)", x);
      return m;
    default: m.ok = false; return m;
  }
}

std::string RangeChecked(const std::string& x, const std::string& column, const std::string& key_sql) {
  return fmt::format(
      "CASE WHEN {0} < -9223372036854775808 OR {0} > 9223372036854775807 THEN "
      "error('column ' || {1} || ': value ' || CAST({0} AS VARCHAR) || ' does not fit in int64 (key ' || "
      "CAST({2} AS VARCHAR) || ')') ELSE CAST({0} AS BIGINT) END",
      x, QuoteLiteral("'" + column + "'"), key_sql);
}

constexpr const char* kSupported =
    "supported: BOOLEAN, integers that fit in int64, TIMESTAMP, DATE, FLOAT, DOUBLE, DECIMAL, VARCHAR, BLOB, "
    "UUID, and LISTs of these";

}  // namespace

std::vector<ColumnSpec> SourceSchema::Specs() const {
  std::vector<ColumnSpec> specs;
  for (const SourceColumn& c : columns) specs.push_back(c.spec);
  return specs;
}

absl::StatusOr<std::vector<std::string>> ExpandInputs(const std::vector<std::string>& patterns) {
  std::set<std::string> files;
  for (const std::string& pattern : patterns) {
    if (HasGlobChars(pattern)) {
      ASSIGN_OR_RETURN(std::vector<std::string> matches, Glob(pattern));
      if (matches.empty()) return absl::NotFoundError(fmt::format("input '{}' matches no files", pattern));
      for (std::string& m : matches) {
        struct stat st;
        if (::stat(m.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.insert(std::move(m));
      }
      continue;
    }
    struct stat st;
    if (::stat(pattern.c_str(), &st) != 0)
      return absl::NotFoundError(fmt::format("input '{}' does not exist", pattern));
    if (S_ISDIR(st.st_mode)) {
      std::vector<std::string> found;
      for (const char* ext : {"*.parquet", "*.csv", "*.json", "*.jsonl", "*.ndjson"}) {
        ASSIGN_OR_RETURN(std::vector<std::string> m, Glob(pattern + "/" + ext));
        found.insert(found.end(), m.begin(), m.end());
      }
      if (found.empty())
        return absl::NotFoundError(fmt::format("input folder '{}' holds no .parquet, .csv or .json files", pattern));
      files.insert(found.begin(), found.end());
      continue;
    }
    files.insert(pattern);
  }
  std::vector<std::string> out(files.begin(), files.end());
  if (out.empty()) return absl::NotFoundError("no input files");
  const Format first = FormatOf(out.front());
  for (const std::string& f : out) {
    if (FormatOf(f) != first)
      return absl::InvalidArgumentError(fmt::format("inputs mix formats: '{}' is {} but '{}' is {}", out.front(),
                                                    FormatName(first), f, FormatName(FormatOf(f))));
  }
  return out;
}

absl::StatusOr<std::string> TableFunctionFor(const std::vector<std::string>& files) {
  std::vector<std::string> quoted;
  quoted.reserve(files.size());
  for (const std::string& f : files) quoted.push_back(QuoteLiteral(f));
  const std::string list = "[" + Join(quoted, ", ") + "]";
  switch (FormatOf(files.front())) {
    case Format::kParquet: return fmt::format("read_parquet({})", list);
    case Format::kCsv: return fmt::format("read_csv({})", list);
    case Format::kJson: return fmt::format("read_json({})", list);
  }
  return absl::InternalError("unknown format");
}

absl::StatusOr<SourceSchema> ResolveSource(DuckDb* db, const BuildOptions& options) {
  SourceSchema schema;
  if (!options.sql.empty()) {
    std::string sql = options.sql;
    while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) sql.pop_back();
    schema.from_clause = "(" + sql + ")";
  } else {
    ASSIGN_OR_RETURN(schema.files, ExpandInputs(options.inputs));
    ASSIGN_OR_RETURN(schema.from_clause, TableFunctionFor(schema.files));
    if (FormatOf(schema.files.front()) == Format::kParquet) RETURN_IF_ERROR(CheckSameParquetSchema(db, schema.files));
  }

  auto described = db->Query("SELECT * FROM " + schema.from_clause + " AS t LIMIT 0");
  if (!described.ok()) {
    const std::string what = options.sql.empty() ? "reading input" : "--sql query";
    return absl::Status(described.status().code(), fmt::format("{}: {}", what, StatusMessage(described.status())));
  }
  const std::vector<ResultColumn>& cols = described->columns();
  std::vector<std::string> available;
  for (const ResultColumn& c : cols) available.push_back(c.name);
  auto find = [&](const std::string& name) -> const ResultColumn* {
    for (const ResultColumn& c : cols)
      if (c.name == name) return &c;
    return nullptr;
  };
  auto missing = [&](const std::string& what, const std::string& name) {
    return absl::InvalidArgumentError(
        fmt::format("{} '{}' not found in input; available columns: {}", what, name, Join(available, ", ")));
  };
  if (!find(options.key_column)) return missing("key column", options.key_column);
  if (!find(options.order_column)) return missing("order column", options.order_column);
  for (const std::string& c : options.static_columns)
    if (!find(c)) return missing("static column", c);
  for (const std::string& c : options.include_columns)
    if (!find(c)) return missing("--include column", c);
  for (const std::string& c : options.exclude_columns)
    if (!find(c)) return missing("--exclude column", c);
  for (const std::string& c : options.static_columns)
    if (std::find(options.exclude_columns.begin(), options.exclude_columns.end(), c) != options.exclude_columns.end())
      return absl::InvalidArgumentError(fmt::format("column '{}' is both static and excluded", c));

  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const std::string key_sql = QuoteIdentifier(options.key_column);

  // Key first.
  {
    const ResultColumn& kc = *find(options.key_column);
    TypeMapping m = MapScalar(kc.type.get(), key_sql);
    const bool is_int = m.ok && m.feature == FeatureType::kInt64;
    const bool is_str = m.ok && m.feature == FeatureType::kBytes;
    if (!is_int && !is_str)
      return absl::InvalidArgumentError(
          fmt::format("key column '{}' has type {}; a key must be an integer or a string", kc.name, kc.type_name()));
    if (m.needs_range_check) m.expr = RangeChecked(key_sql, kc.name, key_sql);
    SourceColumn sc;
    sc.name = kc.name;
    sc.input_type = kc.type_name();
    sc.physical = m.physical;
    sc.spec = ColumnSpec{kc.name, m.feature, false, ColumnRole::kKey};
    schema.key_is_string = is_str;
    schema.columns.push_back(sc);
    schema.key_expr = m.expr;
    schema.select_sql = "SELECT " + m.expr + " AS c0";
  }

  for (const ResultColumn& c : cols) {
    if (c.name == options.key_column) continue;
    const bool is_static = contains(options.static_columns, c.name);
    const bool is_order = c.name == options.order_column;
    if (!is_static && !is_order) {
      if (!options.include_columns.empty() && !contains(options.include_columns, c.name)) continue;
      if (contains(options.exclude_columns, c.name)) continue;
    }
    const std::string q = QuoteIdentifier(c.name);
    SourceColumn sc;
    sc.name = c.name;
    sc.input_type = c.type_name();
    const duckdb_type id = c.type_id();
    TypeMapping m;
    bool is_list = false;
    if (id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY) {
      is_list = true;
      duckdb_logical_type child = id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(c.type.get())
                                                         : duckdb_array_type_child_type(c.type.get());
      m = MapScalar(child, "x");
      duckdb_destroy_logical_type(&child);
      if (m.ok) {
        if (m.needs_range_check) m.expr = RangeChecked("x", c.name, key_sql);
        std::string list_expr = q;
        if (id == DUCKDB_TYPE_ARRAY) {
          // ARRAY -> LIST keeps values; transform handles the element type.
          list_expr = fmt::format("list_transform({}, x -> x)", q);
        }
        if (m.expr != "x") list_expr = fmt::format("list_transform({}, x -> {})", list_expr, m.expr);
        m.expr = list_expr;
        m.physical = m.physical == PhysicalType::kInt64    ? PhysicalType::kListInt64
                     : m.physical == PhysicalType::kDouble ? PhysicalType::kListDouble
                                                           : PhysicalType::kListString;
      }
    } else {
      m = MapScalar(c.type.get(), q);
      if (m.ok && m.needs_range_check) m.expr = RangeChecked(q, c.name, key_sql);
    }
    if (!m.ok)
      return absl::InvalidArgumentError(
          fmt::format("column '{}' has type {}, which proberows cannot encode ({}); drop it with --exclude {}", c.name,
                      c.type_name(), kSupported, c.name));
    if (is_order && (is_list || m.feature == FeatureType::kBytes))
      return absl::InvalidArgumentError(
          fmt::format("order column '{}' has type {}; it must be a number, TIMESTAMP or DATE", c.name, c.type_name()));
    sc.physical = m.physical;
    sc.spec = ColumnSpec{c.name, m.feature, is_list, is_static ? ColumnRole::kStatic : ColumnRole::kPerMeasurement};
    if (is_order) schema.order_index = static_cast<int>(schema.columns.size());
    schema.columns.push_back(sc);
    schema.select_sql += fmt::format(", {} AS c{}", m.expr, schema.columns.size() - 1);
  }
  schema.select_list = schema.select_sql;
  schema.select_sql = schema.SelectFrom(schema.from_clause);
  return schema;
}

std::string SourceSchema::ReaderFor(const std::vector<std::string>& subset, const std::string& extra_options) const {
  absl::StatusOr<std::string> reader = TableFunctionFor(subset);
  if (!reader.ok()) return from_clause;
  if (extra_options.empty()) return *reader;
  return reader->substr(0, reader->size() - 1) + ", " + extra_options + ")";
}

std::string RenderKey(bool key_is_string, std::string_view key_sort_bytes) {
  if (key_is_string) return fmt::format("'{}'", key_sort_bytes);
  return fmt::format("{}", DecodeIntKey(key_sort_bytes));
}

}  // namespace proberows
