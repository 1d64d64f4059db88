// Reading the JSON files proberows writes (metadata, plans, task manifests)
// when they may have been damaged or edited since: a parse bounded in depth
// (nlohmann's serializer, copy and comparison recurse once per level, so a
// file of 100,000 nested '[' would overflow the stack), and a check of the
// kind of every field a reader uses, naming the first wrong one by its path
// ("splits.train.shards[0].rows"), before any typed access could throw
// nlohmann's type_error.
#ifndef PROBEROWS_UTIL_JSON_CHECK_H_
#define PROBEROWS_UTIL_JSON_CHECK_H_

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proberows {

// Deeper than anything proberows writes (features.json adds three levels per
// list or STRUCT level of a column, the statistics about ten), shallow enough
// for nlohmann's recursion (well under 1 MiB of stack, with ASan too).
inline constexpr int kMaxJsonDepth = 512;

// OK if no array or object in `text` is nested deeper than `max_depth`
// (brackets inside strings do not count); else InvalidArgument "nested deeper
// than N levels (at byte B)". Does not check that `text` is valid JSON.
[[nodiscard]] absl::Status CheckJsonDepth(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses `text`, the contents of `path`: DataLossError "'PATH' is not valid
// JSON: REASON" when it does not parse or nests deeper than kMaxJsonDepth.
// Never throws.
[[nodiscard]] absl::StatusOr<nlohmann::ordered_json> ParseJsonFile(std::string_view text, const std::string& path);

// The kinds of value a reader expects. kCount: an integer >= 0 that fits in
// uint64_t (nlohmann's number_unsigned).
enum class JsonKind { kObject, kArray, kString, kBool, kNumber, kCount };

// Checks fields one by one and keeps the first problem, e.g. "field
// 'splits.train.rows' is the string \"12\", expected an integer >= 0" or
// "field 'splits.test' is missing". Not thread-safe; cheap to copy.
class JsonFieldCheck {
 public:
  // Whether `parent[key]` (the field at `parent_path` + "." + `key`) has
  // `kind`; an absent field is fine unless `required`. False, and the
  // problem is kept, otherwise, and after any earlier problem (so that
  // callers can stop descending).
  bool Field(const nlohmann::ordered_json& parent, const std::string& parent_path, const std::string& key,
             JsonKind kind, bool required = true);
  // Whether `value`, at `path` (e.g. an array element "shards[3]"; "" for
  // the top level), has `kind`.
  bool Value(const nlohmann::ordered_json& value, const std::string& path, JsonKind kind);
  // Records a problem found by the caller (the first one wins).
  void Fail(std::string problem);

  bool ok() const { return problem_.empty(); }
  // The first problem; "" when ok().
  const std::string& problem() const { return problem_; }

  // `parent_path` + "." + `key` (just `key` at the root).
  static std::string Path(const std::string& parent_path, const std::string& key);
  // `path` + "[" + `index` + "]".
  static std::string Element(const std::string& path, size_t index);

 private:
  std::string problem_;
};

// nlohmann's exception message without its "[json.exception.type_error.302] "
// prefix.
std::string JsonErrorMessage(const std::exception& e);

// `j.at(key).get<T>()` for readers that catch std::exception around many
// reads: a missing field or one of another type throws std::runtime_error
// naming the field ("field 'rows': type must be number, but is string").
template <typename T, typename J>
T GetField(const J& j, const char* key) {
  try {
    return j.at(key).template get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("field '") + key + "': " + JsonErrorMessage(e));
  }
}

// GetField for an optional field: `fallback` when `key` is absent; present
// but of another type throws as GetField does.
template <typename T, typename J>
T GetFieldOr(const J& j, const char* key, T fallback) {
  return j.contains(key) ? GetField<T>(j, key) : std::move(fallback);
}

}  // namespace proberows

#endif  // PROBEROWS_UTIL_JSON_CHECK_H_
