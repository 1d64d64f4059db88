// RowCut: how a key's measurements are cut into training rows
// (--max-measurements-per-row, --row-window; docs/output-format.md, "Cut
// rows"). Without either option a key is one row, as it always was.
//
// With them, a key's measurements, in output order, are first cut at every
// change of window (floor(order / width), in the order column's unit), then
// each window into consecutive rows of at most `max_measurements`. Every row
// carries `row_index` (0, 1, ... within its key) and, with a window,
// `window_start` (floor(order / width) * width). The split stays by key: all
// rows of a key land in the split, and the shard, of the key.
#ifndef PROBEROWS_GROUP_ROW_CUT_H_
#define PROBEROWS_GROUP_ROW_CUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "source/input_source.h"

namespace proberows {

inline constexpr const char* kRowIndexFeature = "row_index";
inline constexpr const char* kWindowStartFeature = "window_start";

struct RowCut {
  uint64_t max_measurements = 0;  // 0: no limit
  int64_t window = 0;             // width in the order column's unit; 0: no windows
  bool order_is_double = false;   // the order column is a float column (records hold SortableDouble)

  bool enabled() const { return max_measurements > 0 || window > 0; }
  // The start of the window holding a record's order value (its sortable
  // form, group/record.h). REQUIRES: window > 0.
  int64_t WindowStart(uint64_t sortable_order) const;
  // The row features cut rows carry, in the order EncodeRow takes their
  // values: {} when not enabled, {row_index} or {row_index, window_start}.
  std::vector<std::string> Features() const;
};

// The cut `options` ask for over `schema`'s order column: the window in the
// order column's unit (TIMESTAMP: microseconds, DATE: days, numbers: seconds;
// a bare --row-window integer as it is). InvalidArgument, naming the flag,
// for a window that is not a whole number of days over a DATE column.
[[nodiscard]] absl::StatusOr<RowCut> MakeRowCut(const BuildOptions& options, const SourceSchema& schema);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_ROW_CUT_H_
