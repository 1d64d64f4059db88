#include "stats/top_values.h"

// Inlined: the values hashed are short (addresses, country codes), where a
// call into the shared library costs as much as the hash. Same XXH3-64.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace proberows {

uint64_t TopValues::Hash(std::string_view v) { return XXH3_64bits(v.data(), v.size()); }

// Drops the values the current level no longer keeps. The table is built
// anew so that a collision chain never has a hole.
void TopValues::Resample() {
  std::vector<Entry> kept;
  for (auto& [key, e] : counts_)
    if (Keeps(Hash(e.value))) kept.push_back(std::move(e));
  counts_.clear();
  for (Entry& e : kept) {
    const uint64_t hash = Hash(e.value);
    uint64_t key = hash;
    while (counts_.contains(key)) ++key;
    counts_.emplace(key, std::move(e));
  }
}

void TopValues::Raise() {
  while (counts_.size() > kMaxDistinct && level_ < 64) {
    ++level_;
    Resample();
  }
}

void TopValues::Insert(uint64_t hash, std::string_view value, uint64_t count) {
  for (uint64_t key = hash;; ++key) {
    auto it = counts_.find(key);
    if (it == counts_.end()) {
      counts_.emplace(key, Entry{std::string(value), count});
      if (counts_.size() > kMaxDistinct) Raise();
      return;
    }
    const std::string& v = it->second.value;
    if (v.size() == value.size() && std::memcmp(v.data(), value.data(), v.size()) == 0) {
      it->second.count += count;
      return;
    }
  }
}

void TopValues::Add(std::string_view value, uint64_t count) {
  const uint64_t hash = Hash(value);
  if (!Keeps(hash)) return;
  Insert(hash, value, count);
}

void TopValues::Merge(const TopValues& other) {
  if (other.level_ > level_) {
    level_ = other.level_;
    Resample();
  }
  for (const auto& [key, e] : other.counts_) Add(e.value, e.count);
}

std::vector<std::pair<std::string, uint64_t>> TopValues::Top(size_t n) const {
  std::vector<std::pair<std::string, uint64_t>> all;
  all.reserve(counts_.size());
  for (const auto& [key, e] : counts_) all.emplace_back(e.value, e.count);
  const auto by_count = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  const size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), by_count);
  all.resize(k);
  return all;
}

std::vector<std::pair<std::string, uint64_t>> TopValues::Sorted() const {
  std::vector<std::pair<std::string, uint64_t>> all;
  all.reserve(counts_.size());
  for (const auto& [key, e] : counts_) all.emplace_back(e.value, e.count);
  std::sort(all.begin(), all.end());
  return all;
}

bool TopValues::Restore(int level, const std::vector<std::pair<std::string, uint64_t>>& values) {
  counts_.clear();
  if (level < 0 || level > 64 || values.size() > kMaxDistinct) return false;
  level_ = level;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [v, c] = values[i];
    if (c == 0 || !Keeps(Hash(v)) || (i > 0 && values[i - 1].first >= v)) return false;  // sorted, distinct
    Insert(Hash(v), v, c);
  }
  return true;
}

}  // namespace proberows
