#include "example/row_shape.h"

#include <fmt/format.h>

namespace proberows {

absl::Status CheckRowShape(const DecodedExample& row, const std::vector<ColumnSpec>& schema, uint64_t measurements) {
  for (const ColumnSpec& c : schema) {
    const bool one = c.role != ColumnRole::kPerMeasurement;
    if (c.list_depth == 0) {
      auto it = row.find(c.name);
      if (it == row.end()) return absl::DataLossError(fmt::format("feature '{}' is missing", c.name));
      const size_t want = one ? 1 : measurements;
      if (ValueCount(it->second) != want)
        return absl::DataLossError(
            fmt::format("feature '{}' has {} values, expected {}", c.name, ValueCount(it->second), want));
      continue;
    }
    const std::string values_name = c.name + std::string(kRaggedValuesSuffix);
    auto values = row.find(values_name);
    if (values == row.end()) return absl::DataLossError(fmt::format("feature '{}' is missing", values_name));
    uint64_t expected = one ? 1 : measurements;  // entries of the current level
    for (int level = 0; level < c.list_depth; ++level) {
      const std::string name = c.name + std::string(kRaggedRowLengthsPrefix) + std::to_string(level);
      auto it = row.find(name);
      if (it == row.end()) return absl::DataLossError(fmt::format("feature '{}' is missing", name));
      const auto* lengths = std::get_if<std::vector<int64_t>>(&it->second);
      if (lengths == nullptr) return absl::DataLossError(fmt::format("feature '{}' is not int64", name));
      if (lengths->size() != expected)
        return absl::DataLossError(
            fmt::format("feature '{}' has {} row lengths, expected {}", name, lengths->size(), expected));
      uint64_t sum = 0;
      for (int64_t len : *lengths) {
        if (len < 0) return absl::DataLossError(fmt::format("feature '{}' has a negative row length {}", name, len));
        sum += static_cast<uint64_t>(len);
      }
      expected = sum;
    }
    if (ValueCount(values->second) != expected)
      return absl::DataLossError(fmt::format("feature '{}' has {} values, but its row lengths add up to {}",
                                             values_name, ValueCount(values->second), expected));
  }
  return absl::OkStatus();
}

}  // namespace proberows
