// The shape of a decoded row, checked against its schema: what `proberows
// verify` asks of every row beyond decoding. Each column of the schema must
// give exactly its features, with
//   * a key or static scalar: 1 value;
//   * a per-measurement scalar: n values (n = the row's measurements);
//   * a list of depth d: `x/ragged_row_lengths_0` with n entries (1 for a
//     static list), each level's lengths non-negative and adding up to the
//     number of entries of the next level, the last level's to the number of
//     `x/ragged_flat_values`.
#ifndef PROBEROWS_EXAMPLE_ROW_SHAPE_H_
#define PROBEROWS_EXAMPLE_ROW_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proberows/example.h"

namespace proberows {

// OK if `row` has the shape `schema` gives it for `measurements`
// measurements; else DataLoss naming the feature and what is wrong. Features
// the schema does not know are not checked.
[[nodiscard]] absl::Status CheckRowShape(const DecodedExample& row, const std::vector<ColumnSpec>& schema,
                                         uint64_t measurements);

}  // namespace proberows

#endif  // PROBEROWS_EXAMPLE_ROW_SHAPE_H_
