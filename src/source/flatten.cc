#include "source/flatten.h"

#include <fmt/format.h>

#include "source/duckdb_handle.h"

namespace proberows {

namespace {

using TypePtr = std::shared_ptr<struct _duckdb_logical_type>;

TypePtr Own(duckdb_logical_type t) {
  return TypePtr(t, [](duckdb_logical_type p) { duckdb_destroy_logical_type(&p); });
}

bool IsJson(duckdb_logical_type t) {
  if (duckdb_get_type_id(t) != DUCKDB_TYPE_VARCHAR) return false;
  char* alias = duckdb_logical_type_get_alias(t);
  if (alias == nullptr) return false;
  const bool json = std::string(alias) == "JSON";
  duckdb_free(alias);
  return json;
}

// The SQL spelling of a scalar type, for messages and proberows.json.
std::string ScalarTypeName(duckdb_logical_type t) { return IsJson(t) ? "JSON" : SqlTypeName(t); }

struct Walker {
  std::vector<Leaf>* out;

  void Walk(duckdb_logical_type type, std::vector<PathStep> path, std::vector<LeafFrame> frames,
            const std::string& value) {
    const duckdb_type id = duckdb_get_type_id(type);
    if (id == DUCKDB_TYPE_LIST || id == DUCKDB_TYPE_ARRAY || id == DUCKDB_TYPE_MAP) {
      const std::string var = fmt::format("x{}", frames.size() + 1);
      path.back().lists += 1;
      if (id == DUCKDB_TYPE_MAP) {
        // A MAP is a list of {key, value} entries.
        frames.push_back({fmt::format("map_entries({})", value), var});
        TypePtr key = Own(duckdb_map_type_key_type(type));
        TypePtr val = Own(duckdb_map_type_value_type(type));
        std::vector<PathStep> key_path = path, value_path = path;
        key_path.push_back({"key", 0});
        value_path.push_back({"value", 0});
        Walk(key.get(), key_path, frames, fmt::format("struct_extract({}, 'key')", var));
        Walk(val.get(), value_path, frames, fmt::format("struct_extract({}, 'value')", var));
        return;
      }
      TypePtr child =
          Own(id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(type) : duckdb_array_type_child_type(type));
      // ARRAY -> LIST keeps the values; list_transform reads both.
      frames.push_back({value, var, id == DUCKDB_TYPE_ARRAY});
      Walk(child.get(), path, frames, var);
      return;
    }
    if (id == DUCKDB_TYPE_STRUCT) {
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        char* raw = duckdb_struct_type_child_name(type, i);
        const std::string name = raw ? raw : "";
        duckdb_free(raw);
        TypePtr child = Own(duckdb_struct_type_child_type(type, i));
        std::vector<PathStep> child_path = path;
        child_path.push_back({name, 0});
        Walk(child.get(), child_path, frames, fmt::format("struct_extract({}, {})", value, QuoteLiteral(name)));
      }
      return;
    }
    Leaf leaf;
    leaf.path = std::move(path);
    for (const PathStep& s : leaf.path) {
      if (!leaf.name.empty()) leaf.name += "/";
      leaf.name += s.name;
      leaf.depth += s.lists;
    }
    leaf.frames = std::move(frames);
    leaf.inner = value;
    leaf.type_name = ScalarTypeName(type);
    leaf.is_json = IsJson(type);
    leaf.mapping = MapScalarType(type, leaf.inner);
    if (!leaf.is_json && !leaf.mapping.ok) leaf.problem = fmt::format("has type {}", leaf.type_name);
    out->push_back(std::move(leaf));
  }
};

}  // namespace

ScalarMapping MapScalarType(duckdb_logical_type t, const std::string& x) {
  ScalarMapping m;
  m.ok = true;
  if (IsJson(t)) {
    m.ok = false;
    return m;
  }
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
      m.element = ElementKind::kDouble;
      m.expr = x;
      return m;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DECIMAL:
      m.feature = FeatureType::kFloat;
      m.element = ElementKind::kDouble;
      m.expr = fmt::format("CAST({} AS DOUBLE)", x);
      return m;
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      m.feature = FeatureType::kBytes;
      m.element = ElementKind::kString;
      m.expr = x;
      return m;
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_ENUM:
      m.feature = FeatureType::kBytes;
      m.element = ElementKind::kString;
      m.expr = fmt::format("CAST({} AS VARCHAR)", x);
      return m;
    default: m.ok = false; return m;
  }
}

std::string RangeCheckedSql(const std::string& x, const std::string& column, const std::string& key_sql) {
  return fmt::format(
      "CASE WHEN {0} < -9223372036854775808 OR {0} > 9223372036854775807 THEN "
      "error('column ' || {1} || ': value ' || CAST({0} AS VARCHAR) || ' does not fit in int64 (key ' || "
      "CAST({2} AS VARCHAR) || ')') ELSE CAST({0} AS BIGINT) END",
      x, QuoteLiteral("'" + column + "'"), key_sql);
}

std::string Leaf::InputType() const {
  std::string t = type_name;
  for (int i = 0; i < depth; ++i) t += "[]";
  return t;
}

std::string Leaf::Wrap(const std::string& innermost) const {
  std::string expr = innermost;
  for (size_t i = frames.size(); i-- > 0;) {
    if (expr == frames[i].var && !frames[i].array) {
      expr = frames[i].source;  // the identity: the list as it is
    } else {
      expr = fmt::format("list_transform({}, {} -> {})", frames[i].source, frames[i].var, expr);
    }
  }
  return expr;
}

std::vector<Leaf> FlattenColumn(const std::string& column, duckdb_logical_type type, const std::string& base) {
  std::vector<Leaf> leaves;
  Walker w{&leaves};
  w.Walk(type, {PathStep{column, 0}}, {}, base);
  for (Leaf& leaf : leaves) {
    if (!leaf.problem.empty()) continue;
    for (const PathStep& s : leaf.path) {
      if (s.name.find('/') != std::string::npos) {
        leaf.problem = fmt::format(
            "{} '/' in its name, which TFDS reserves for nesting features (rename it in a --sql query, e.g. "
            "SELECT * RENAME ({} AS ...) FROM ...)",
            s.name == column ? "has" : fmt::format("has a field '{}' with", s.name), QuoteIdentifier(s.name));
        break;
      }
      if (s.name.empty()) {
        leaf.problem = "has an unnamed field";
        break;
      }
    }
  }
  return leaves;
}

}  // namespace proberows
