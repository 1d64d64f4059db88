#include "group/row_cut.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

int64_t RowCut::WindowStart(uint64_t sortable_order) const {
  constexpr uint64_t kSign = 0x8000000000000000ull;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (order_is_double) {
    // The inverse of SortableDouble (source/key_codec.h).
    const uint64_t bits = (sortable_order & kSign) ? sortable_order & ~kSign : ~sortable_order;
    double d;
    std::memcpy(&d, &bits, 8);
    const double start = std::floor(d / static_cast<double>(window)) * static_cast<double>(window);
    if (!(start > -9.2e18)) return kMin;
    if (!(start < 9.2e18)) return kMax;
    return static_cast<int64_t>(start);
  }
  const int64_t v = static_cast<int64_t>(sortable_order ^ kSign);
  int64_t q = v / window;
  if (v % window != 0 && v < 0) --q;
  const __int128 start = static_cast<__int128>(q) * window;
  return start < kMin ? kMin : static_cast<int64_t>(start);
}

std::vector<std::string> RowCut::Features() const {
  if (!enabled()) return {};
  if (window > 0) return {kRowIndexFeature, kWindowStartFeature};
  return {kRowIndexFeature};
}

absl::StatusOr<RowCut> MakeRowCut(const BuildOptions& options, const SourceSchema& schema) {
  RowCut cut;
  cut.max_measurements = options.max_measurements_per_row;
  if (options.row_window.empty()) return cut;
  int64_t seconds = 0;
  bool bare = false;
  RETURN_IF_ERROR(ParseRowWindow(options.row_window, &seconds, &bare));
  if (schema.order_index < 0) return absl::InternalError("the schema has no order column");
  const SourceColumn& order = schema.columns[static_cast<size_t>(schema.order_index)];
  cut.order_is_double = order.physical != PhysicalType::kInt64;
  const std::string& type = order.input_type;
  if (bare) {
    cut.window = seconds;
  } else if (type.rfind("TIMESTAMP", 0) == 0) {
    if (seconds > std::numeric_limits<int64_t>::max() / 1000000)
      return absl::InvalidArgumentError(fmt::format("--row-window '{}' is too long", options.row_window));
    cut.window = seconds * 1000000;  // epoch microseconds
  } else if (type == "DATE") {
    if (seconds % 86400 != 0)
      return absl::InvalidArgumentError(
          fmt::format("--row-window '{}': the order column '{}' is a DATE; give whole days (e.g. 1d, 7d)",
                      options.row_window, order.name));
    cut.window = seconds / 86400;  // days since 1970-01-01
  } else {
    cut.window = seconds;
  }
  return cut;
}

}  // namespace proberows
