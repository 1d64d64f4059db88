// Flattening nested input columns into leaves, the way TFDS nests features.
//
// A *leaf* is a scalar, or a LIST (of a LIST ...) of a scalar, reached from
// an input column through STRUCT fields, LIST elements and MAP entries:
//
//   STRUCT s {a, b}          -> leaves s/a, s/b (same depth as s)
//   LIST<STRUCT{rtt, x}> r   -> leaves r/rtt, r/x, each a list (depth 1)
//   LIST<LIST<DOUBLE>> l     -> leaf l of depth 2
//   MAP(K, V) m              -> leaves m/key and m/value, lists (depth 1)
//
// Each leaf becomes one feature (depth 0) or one ragged feature (depth d: a
// flat-values feature and d row-lengths features), named by its path joined
// with '/', which is how TFDS names the members of a nested FeaturesDict.
// The leaf's SQL is a chain of list_transform() calls around the innermost
// value, so that the scan yields one column per leaf.
#ifndef PROBEROWS_SOURCE_FLATTEN_H_
#define PROBEROWS_SOURCE_FLATTEN_H_

#include <string>
#include <vector>

#include "duckdb.h"
#include "proberows/example.h"

namespace proberows {

// One step of a leaf's path: the input column or a STRUCT field, and how many
// list levels the value at this step holds (LIST<LIST<...>> = 2).
struct PathStep {
  std::string name;
  int lists = 0;

  friend bool operator==(const PathStep&, const PathStep&) = default;
};

// The element type a leaf's values arrive in after conversion.
enum class ElementKind { kInt64, kDouble, kString };

// How a scalar DuckDB type becomes a feature value.
struct ScalarMapping {
  bool ok = false;
  FeatureType feature = FeatureType::kInt64;
  ElementKind element = ElementKind::kInt64;
  bool needs_range_check = false;  // UBIGINT, HUGEINT, UHUGEINT
  std::string expr;                // SQL turning the value `x` into the element type
};

// Maps a scalar (non-nested) type; `x` is the SQL for the value.
ScalarMapping MapScalarType(duckdb_logical_type type, const std::string& x);

// `x` as BIGINT, or an error naming `column`, the value and the key (SQL
// `key_sql`) when it does not fit in int64.
std::string RangeCheckedSql(const std::string& x, const std::string& column, const std::string& key_sql);

// One list level a leaf's SQL iterates: list_transform(source, var -> ...).
struct LeafFrame {
  std::string source;  // the list (SQL; may use the previous frame's var)
  std::string var;     // the lambda parameter naming one element
  bool array = false;  // source is a fixed-size ARRAY (always transformed into a LIST)
};

struct Leaf {
  std::vector<PathStep> path;  // path[0].name is the input column
  std::string name;            // the path's names joined by '/'
  int depth = 0;               // list levels (the sum of path[i].lists)
  std::vector<LeafFrame> frames;
  std::string inner;      // SQL of one innermost value (uses the last frame's var)
  std::string type_name;  // the innermost value's DuckDB type ("BIGINT", "JSON")
  bool is_json = false;   // a JSON value (its type is decided by its values)
  // How the innermost value converts (MapScalarType of `inner`); not ok for
  // JSON until the values decided it, and for types that cannot be encoded.
  ScalarMapping mapping;
  std::string problem;  // why it cannot be encoded, "" if it can
  // A JSON integer read as kStrictIntType (source/input_files.h): its
  // mapping must check that the value is integral.
  bool strict_int = false;

  // The DuckDB type of the leaf's values as read: type_name with one "[]"
  // per list level, e.g. "DOUBLE[]".
  std::string InputType() const;
  // `innermost` (SQL over the last frame's var) inside the leaf's
  // list_transform chain: the leaf's values with `innermost` applied to each
  // (a LIST whose elements stay as they are is not transformed).
  std::string Wrap(const std::string& innermost) const;
};

// The leaves of input column `column` of type `type`, whose value is the SQL
// `base` (e.g. t."col"), in field order. A name holding '/' (which TFDS
// reserves for nesting) or a type proberows cannot encode (UNION, BIT, ...)
// gives a leaf with `problem` set.
std::vector<Leaf> FlattenColumn(const std::string& column, duckdb_logical_type type, const std::string& base);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_FLATTEN_H_
