// DecodedExampleToJson: a DecodedExample as one JSON object (nlohmann-json).
#include <charconv>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <type_traits>

#include <absl/strings/escaping.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "example/utf8.h"
#include "proberows/example.h"

namespace proberows {
namespace {

using Json = nlohmann::json;

// A float32 as the double nearest to its shortest round-trip decimal form,
// so that nlohmann (which prints doubles shortest-first) prints "52.1" rather
// than 52.099998474121094, and reading it back as float32 gives the same bits
// (for non-NaN values).
Json FloatToJson(float f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "Infinity" : "-Infinity";
  const std::string shortest = fmt::format("{}", f);
  double d = static_cast<double>(f);
  std::from_chars(shortest.data(), shortest.data() + shortest.size(), d);
  return d;
}

Json BytesToJson(const std::string& s) {
  if (IsValidUtf8(s)) return s;
  std::string encoded;
  absl::Base64Escape(s, &encoded);
  return Json{{"base64", encoded}};
}

Json ValuesToJson(const FeatureValues& values) {
  return std::visit(
      [](const auto& vec) -> Json {
        using T = std::decay_t<decltype(vec)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          Json array = Json::array();
          for (const auto& v : vec) {
            if constexpr (std::is_same_v<T, std::vector<float>>) {
              array.push_back(FloatToJson(v));
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              array.push_back(BytesToJson(v));
            } else {
              array.push_back(v);
            }
          }
          return array;
        }
      },
      values);
}

// `values` split by the nested row lengths `levels` (levels[0] splits the
// lists of levels[1], ..., the last level splits the values), or null if a
// length is negative or the lengths do not add up exactly.
Json RaggedToJson(const FeatureValues& values, const std::vector<const std::vector<int64_t>*>& levels) {
  return std::visit(
      [&](const auto& vec) -> Json {
        using T = std::decay_t<decltype(vec)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          // Each level's lengths must add up to the next level's count.
          for (size_t k = 0; k < levels.size(); ++k) {
            const size_t next = k + 1 < levels.size() ? levels[k + 1]->size() : vec.size();
            size_t total = 0;
            for (int64_t len : *levels[k]) {
              if (len < 0 || static_cast<uint64_t>(len) > next - total) return nullptr;
              total += static_cast<size_t>(len);
            }
            if (total != next) return nullptr;
          }
          std::vector<size_t> pos(levels.size() + 1, 0);  // next entry of each level; last: values
          std::function<Json(size_t, int64_t)> build = [&](size_t k, int64_t length) -> Json {
            if (k == levels.size()) {
              T row(vec.begin() + pos[k], vec.begin() + pos[k] + length);
              pos[k] += static_cast<size_t>(length);
              return ValuesToJson(FeatureValues(std::move(row)));
            }
            Json rows = Json::array();
            for (int64_t i = 0; i < length; ++i) rows.push_back(build(k + 1, (*levels[k])[pos[k]++]));
            return rows;
          };
          return build(0, static_cast<int64_t>(levels[0]->size()));
        }
      },
      values);
}

}  // namespace

std::string DecodedExampleToJson(const DecodedExample& example, const ExampleJsonOptions& options) {
  Json object = Json::object();
  std::set<std::string> regrouped;  // feature names printed under their column
  if (options.regroup_ragged) {
    for (const auto& [name, values] : example) {
      const std::string_view view(name);
      if (!view.ends_with(kRaggedValuesSuffix)) continue;
      const std::string base(view.substr(0, view.size() - kRaggedValuesSuffix.size()));
      if (example.contains(base)) continue;
      // Consecutive levels _0, _1, ... that hold int64 lengths.
      std::vector<const std::vector<int64_t>*> levels;
      std::vector<std::string> level_names;
      for (int level = 0;; ++level) {
        std::string lengths_name = base + std::string(kRaggedRowLengthsPrefix) + std::to_string(level);
        const auto lengths = example.find(lengths_name);
        if (lengths == example.end()) break;
        const auto* row_lengths = std::get_if<std::vector<int64_t>>(&lengths->second);
        if (row_lengths == nullptr) break;
        levels.push_back(row_lengths);
        level_names.push_back(std::move(lengths_name));
      }
      if (levels.empty()) continue;
      Json rows = RaggedToJson(values, levels);
      if (rows.is_null()) continue;
      object[base] = std::move(rows);
      regrouped.insert(name);
      for (std::string& n : level_names) regrouped.insert(std::move(n));
    }
  }
  for (const auto& [name, values] : example) {
    if (!regrouped.contains(name)) object[name] = ValuesToJson(values);
  }
  // `replace`: feature names that are not UTF-8 (only possible in a
  // hand-built DecodedExample) print with U+FFFD instead of throwing.
  return object.dump(options.indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

}  // namespace proberows
