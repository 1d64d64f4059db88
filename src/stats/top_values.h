// TopValues: exact counts of a deterministic sample of the distinct values
// of a bytes feature, bounded in memory.
//
// A value is kept when its XXH3-64 hash is below 2^(64 - level); `level`
// starts at 0 (every value kept) and goes up by one (dropping the kept values
// whose hash is no longer below the threshold) whenever more than
// kMaxDistinct distinct values are kept. A kept value has been kept since the
// first time it was seen, so its count is exact; and the final level is the
// smallest at which the values' sample fits, whatever the order in which the
// values came or partial samples were merged. With at most kMaxDistinct
// distinct values (level 0) the counts, the top values and `unique` are
// exact; above, the top values are the most frequent of a 1/2^level sample
// of the distinct values and `unique` is an estimate (kept * 2^level).
//
// Not thread-safe; copyable.
#ifndef PROBEROWS_STATS_TOP_VALUES_H_
#define PROBEROWS_STATS_TOP_VALUES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace proberows {

class TopValues {
 public:
  static constexpr size_t kMaxDistinct = 1024;

  void Add(std::string_view value, uint64_t count = 1);
  void Merge(const TopValues& other);

  int level() const { return level_; }
  // Distinct values kept.
  size_t kept() const { return counts_.size(); }
  // The number of distinct values: exact at level 0, else an estimate.
  uint64_t Unique() const { return static_cast<uint64_t>(counts_.size()) << level_; }
  bool exact() const { return level_ == 0; }
  // The `n` most frequent kept values, by count (descending) then value.
  std::vector<std::pair<std::string, uint64_t>> Top(size_t n) const;
  // Every kept value with its count, sorted by value (for serializing).
  std::vector<std::pair<std::string, uint64_t>> Sorted() const;
  // Restores a serialized state; false if it is inconsistent.
  [[nodiscard]] bool Restore(int level, const std::vector<std::pair<std::string, uint64_t>>& values);

 private:
  static uint64_t Hash(std::string_view v);
  bool Keeps(uint64_t hash) const { return level_ == 0 || (hash >> (64 - level_)) == 0; }
  void Raise();
  void Resample();
  void Insert(uint64_t hash, std::string_view value, uint64_t count);

  // XXH3 is already well mixed: the table uses it as it is.
  struct Identity {
    size_t operator()(uint64_t h) const { return static_cast<size_t>(h); }
  };
  struct Entry {
    std::string value;
    uint64_t count;
  };

  int level_ = 0;
  // Keyed by the value's XXH3-64; a (never seen) collision moves the later
  // value to the next free key, compared by value, so counts stay exact.
  absl::flat_hash_map<uint64_t, Entry, Identity> counts_;
};

}  // namespace proberows

#endif  // PROBEROWS_STATS_TOP_VALUES_H_
