#include "stats/top_values.h"

#include <xxhash.h>

#include <algorithm>

namespace proberows {

uint64_t TopValues::Hash(std::string_view v) { return XXH3_64bits(v.data(), v.size()); }

void TopValues::Raise() {
  while (counts_.size() > kMaxDistinct && level_ < 64) {
    ++level_;
    for (auto it = counts_.begin(); it != counts_.end();) {
      if (!Keeps(Hash(it->first))) {
        counts_.erase(it++);
      } else {
        ++it;
      }
    }
  }
}

void TopValues::Add(std::string_view value, uint64_t count) {
  if (level_ > 0 && !Keeps(Hash(value))) return;
  auto it = counts_.find(absl::string_view(value.data(), value.size()));
  if (it != counts_.end()) {
    it->second += count;
    return;
  }
  counts_.emplace(std::string(value), count);
  if (counts_.size() > kMaxDistinct) Raise();
}

void TopValues::Merge(const TopValues& other) {
  if (other.level_ > level_) {
    level_ = other.level_;
    for (auto it = counts_.begin(); it != counts_.end();) {
      if (!Keeps(Hash(it->first))) {
        counts_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [v, c] : other.counts_) Add(v, c);
}

std::vector<std::pair<std::string, uint64_t>> TopValues::Top(size_t n) const {
  std::vector<std::pair<std::string, uint64_t>> all(counts_.begin(), counts_.end());
  const auto by_count = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), by_count);
  all.resize(k);
  return all;
}

std::vector<std::pair<std::string, uint64_t>> TopValues::Sorted() const {
  std::vector<std::pair<std::string, uint64_t>> all(counts_.begin(), counts_.end());
  std::sort(all.begin(), all.end());
  return all;
}

bool TopValues::Restore(int level, const std::vector<std::pair<std::string, uint64_t>>& values) {
  counts_.clear();
  if (level < 0 || level > 64 || values.size() > kMaxDistinct) return false;
  level_ = level;
  for (const auto& [v, c] : values) {
    if (c == 0 || !Keeps(Hash(v)) || !counts_.emplace(v, c).second) return false;
  }
  return true;
}

}  // namespace proberows
