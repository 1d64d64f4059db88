// DecodedExampleToJson: a DecodedExample as one JSON object (nlohmann-json).
#include <charconv>
#include <cmath>
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

// `values` split into consecutive runs of `lengths` elements, or null if the
// lengths are negative or do not add up to the number of values.
Json RaggedToJson(const FeatureValues& values, const std::vector<int64_t>& lengths) {
  return std::visit(
      [&](const auto& vec) -> Json {
        using T = std::decay_t<decltype(vec)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          size_t total = 0;
          for (int64_t len : lengths) {
            if (len < 0 || static_cast<uint64_t>(len) > vec.size() - total) return nullptr;
            total += static_cast<size_t>(len);
          }
          if (total != vec.size()) return nullptr;
          Json rows = Json::array();
          size_t pos = 0;
          for (int64_t len : lengths) {
            T row(vec.begin() + pos, vec.begin() + pos + len);
            rows.push_back(ValuesToJson(FeatureValues(std::move(row))));
            pos += static_cast<size_t>(len);
          }
          return rows;
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
      const std::string lengths_name = base + std::string(kRaggedRowLengthsSuffix);
      const auto lengths = example.find(lengths_name);
      if (lengths == example.end() || example.contains(base)) continue;
      const auto* row_lengths = std::get_if<std::vector<int64_t>>(&lengths->second);
      if (row_lengths == nullptr) continue;
      Json rows = RaggedToJson(values, *row_lengths);
      if (rows.is_null()) continue;
      object[base] = std::move(rows);
      regrouped.insert(name);
      regrouped.insert(lengths_name);
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
