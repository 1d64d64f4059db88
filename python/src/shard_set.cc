#include "shard_set.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows::python {

absl::StatusOr<std::unique_ptr<ShardSet>> ShardSet::Open(Env* env, const std::vector<std::string>& files) {
  std::unique_ptr<ShardSet> set(new ShardSet());
  uint64_t total = 0;
  for (const std::string& file : files) {
    ASSIGN_OR_RETURN(std::unique_ptr<ArrayRecordReader> reader, ArrayRecordReader::Open(env, file));
    total += reader->num_records();
    set->files_.push_back(file);
    set->readers_.push_back(std::move(reader));
    set->ends_.push_back(total);
  }
  return set;
}

size_t ShardSet::ShardOf(uint64_t index, uint64_t* record) const {
  const size_t shard = static_cast<size_t>(std::upper_bound(ends_.begin(), ends_.end(), index) - ends_.begin());
  *record = index - (shard == 0 ? 0 : ends_[shard - 1]);
  return shard;
}

std::string ShardSet::Describe(uint64_t index) const {
  uint64_t record = 0;
  const size_t shard = ShardOf(index, &record);
  if (shard >= files_.size()) return fmt::format("row {}", index);
  return fmt::format("'{}' record {}", files_[shard], record);
}

absl::Status ShardSet::Read(uint64_t index, std::string* record) const {
  uint64_t in_shard = 0;
  const size_t shard = ShardOf(index, &in_shard);
  if (shard >= readers_.size()) return absl::OutOfRangeError(fmt::format("row {} of {}", index, size()));
  return readers_[shard]->ReadRecord(in_shard, record);
}

absl::Status ShardSet::ReadRange(uint64_t begin, uint64_t end, std::vector<std::string>* records) const {
  records->clear();
  if (begin > end || end > size()) return absl::OutOfRangeError(fmt::format("rows [{}, {}) of {}", begin, end, size()));
  records->reserve(static_cast<size_t>(end - begin));
  std::vector<std::string> part;
  while (begin < end) {
    uint64_t first = 0;
    const size_t shard = ShardOf(begin, &first);
    const uint64_t shard_begin = ends_[shard] - readers_[shard]->num_records();
    const uint64_t last = std::min(end, ends_[shard]) - shard_begin;
    RETURN_IF_ERROR(readers_[shard]->ReadRange(first, last, &part));
    for (std::string& r : part) records->push_back(std::move(r));
    begin += last - first;
  }
  return absl::OkStatus();
}

}  // namespace proberows::python
