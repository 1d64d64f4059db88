// DatasetStatistics: per split and per Example feature statistics of the
// rows of a build, gathered from each encoded row on the reduce worker that
// encoded it (per partition, merged into the split when the rows are written;
// the dataset writer gathers row by row where a partition straddles a split
// or task boundary), and merged across reduce tasks by the finalize stage.
//
// Per feature (the features of the rows, as TFDS and TFDV see them):
//   every feature  values per row: rows with / without values, min, max,
//                  total, an equal-width histogram and quantiles;
//   int64, float32 count, NaN / infinite / zero counts, min, max, mean,
//                  standard deviation, median, an equal-width histogram and
//                  deciles of the values (a ragged_row_lengths feature's values
//                  are the list lengths);
//   bytes          lengths (average, min, max, histogram), top values and
//                  the number of distinct values (stats/top_values.h).
// Per row: measurements, serialized bytes, and the span of the order column
// (last - first value), each with min, mean, max and a histogram.
//
// Everything is exact or a deterministic function of the rows' multiset:
// integer counts and sums, sums (of floats) and sums of squares computed in
// double per row, in the row's own order, and added exactly (ExactSum),
// Pow2Histogram buckets, TopValues samples. Adding rows in any order and
// merging partial statistics in any grouping gives identical output bytes
// (docs/output-format.md, "Statistics").
//
// Not thread-safe; copyable.
#ifndef PROBEROWS_STATS_DATASET_STATS_H_
#define PROBEROWS_STATS_DATASET_STATS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/example.h"
#include "stats/exact_sum.h"
#include "stats/histogram.h"
#include "stats/top_values.h"

namespace proberows {

// Buckets of the equal-width histograms written, quantile buckets, top values.
inline constexpr int kStatsHistogramBuckets = 20;
inline constexpr int kStatsQuantiles = 10;
inline constexpr size_t kStatsTopValues = 10;

// Statistics of one feature in one split.
struct FeatureStatistics {
  // Values per row.
  uint64_t rows_with_values = 0;
  uint64_t rows_without_values = 0;
  uint64_t min_values = 0;
  uint64_t max_values = 0;
  uint64_t total_values = 0;
  Pow2Histogram<int64_t> values_per_row;

  // int64 and float32 values. `count` holds every value but NaNs.
  uint64_t count = 0;
  uint64_t nan = 0;
  uint64_t infinite = 0;
  uint64_t zeros = 0;
  double min = 0;  // int64: exact below 2^53, else rounded
  double max = 0;
  int64_t int_min = 0;
  int64_t int_max = 0;
  __int128 int_sum = 0;  // int64 values, exact
  ExactSum float_sum;    // float32: each row's sum (in double), exactly
  // Each row's sum of squares (in double, in the row's order), summed
  // exactly: a deterministic function of the rows, whatever their grouping.
  ExactSum float_sumsq;
  Pow2Histogram<int64_t> int_hist;
  Pow2Histogram<double> float_hist;  // finite values

  // bytes values.
  uint64_t total_bytes = 0;
  uint64_t min_bytes = 0;
  uint64_t max_bytes = 0;
  Pow2Histogram<int64_t> lengths;
  TopValues top;

  void Merge(const FeatureStatistics& o, FeatureType type);
};

// Min, mean, max and histogram of one per-row quantity.
struct RowQuantity {
  uint64_t count = 0;
  bool is_float = false;
  int64_t int_min = 0, int_max = 0;
  __int128 int_sum = 0;
  double float_min = 0, float_max = 0;
  ExactSum float_sum;
  Pow2Histogram<int64_t> int_hist;
  Pow2Histogram<double> float_hist;

  void AddInt(int64_t v);
  void AddFloat(double v);  // REQUIRES: finite
  void Merge(const RowQuantity& o);
  double Min() const { return is_float ? float_min : static_cast<double>(int_min); }
  double Max() const { return is_float ? float_max : static_cast<double>(int_max); }
  double Mean() const;
  std::vector<HistogramBucket> Standard(int buckets) const;
};

// Statistics of one split.
struct SplitStatistics {
  uint64_t rows = 0;
  uint64_t measurements = 0;
  RowQuantity measurements_per_row;
  RowQuantity row_bytes;
  RowQuantity order_span;  // float when the order feature is float32
  std::vector<FeatureStatistics> features;
};

class DatasetStatistics {
 public:
  // `features`: the encoder's Features() (sorted by name, as rows hold
  // them); `order_feature`: the name of the order column's feature ("" if
  // none: no span).
  DatasetStatistics(std::vector<FeatureDescription> features, std::string order_feature);

  // Adds one encoded row (a serialized Example from ExampleEncoder, its
  // features in the order given to the constructor) of split `test` or
  // train. Internal error if the row does not have that layout.
  [[nodiscard]] absl::Status AddRow(bool test, std::string_view row, uint32_t measurements);

  // Adds `other`'s rows. REQUIRES: built for the same features.
  void Merge(const DatasetStatistics& other);
  // Adds the rows of `rows` (a split of an object built for the same
  // features) to split `test`.
  void MergeSplit(bool test, const SplitStatistics& rows);
  // Forgets every row added.
  void Clear();
  // An object for the same features and order column, without rows.
  DatasetStatistics Empty() const;

  const SplitStatistics& split(bool test) const { return test ? test_ : train_; }
  const std::vector<FeatureDescription>& features() const { return features_; }

  // The split's statistics as tensorflow_metadata's DatasetFeatureStatistics
  // in proto3 JSON (what dataset_info.json's splits[].statistics holds).
  nlohmann::ordered_json Tfds(bool test) const;
  // The per-row statistics proberows.json adds to a split:
  // {"measurements_per_row": {...}, "row_bytes": {...}, "order_span": {...}}.
  nlohmann::ordered_json RowJson(bool test) const;

  // The complete state (exact), for carrying a reduce task's statistics to
  // the finalize stage in its manifest; FromState restores an equal object.
  nlohmann::json State() const;
  [[nodiscard]] absl::Status FromState(const nlohmann::json& state);

 private:
  absl::Status AddFeature(size_t i, const char* p, size_t n, SplitStatistics* s, bool* have_span, double* span_lo,
                          double* span_hi, int64_t* ispan_lo, int64_t* ispan_hi);

  std::vector<FeatureDescription> features_;
  std::vector<FeatureType> types_;
  std::vector<std::string> entry_keys_;  // 0x0a varint(len) name, as rows hold them
  int order_index_ = -1;
  bool order_is_float_ = false;
  SplitStatistics test_;
  SplitStatistics train_;
};

}  // namespace proberows

#endif  // PROBEROWS_STATS_DATASET_STATS_H_
