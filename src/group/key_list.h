// Key lists: the distinct keys of each partition, which the exact train/test
// split needs before the first row is written (docs/spill-format.md, "Key
// lists").
//
// While a map task scans, every record's key goes into its scan thread's
// KeyCollector, one set per partition. When the sets outgrow their memory
// share, and at the end, each partition's set is written as a *run*: the
// keys sorted by their sort bytes (source/key_codec.h), each once, in spill
// blocks (group/spill_file.h) of at most kKeysPerBlock keys. Runs of
// different threads, map tasks or flushes may hold the same key; the split
// stage counts each key once (CountDistinctKeys).
//
// Run block data:
//   varint count
//   count x { varint shared, varint rest_length, rest }
// where `shared` is the number of leading bytes the key shares with the
// previous key of the block (0 for the first) and `rest` the other bytes.
#ifndef PROBEROWS_GROUP_KEY_LIST_H_
#define PROBEROWS_GROUP_KEY_LIST_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "group/spill_file.h"
#include "proberows/env.h"

namespace proberows {

inline constexpr size_t kKeysPerBlock = 65536;

// A set of 64-bit integers for the key collector's hot path: open addressing
// with linear probing in one flat array (Fibonacci hashing of the value), so
// that a batch of inserts can prefetch its slots before probing any of them:
// the table outgrows the caches, and a miss per measurement was the map
// task's second largest cost. Not thread-safe.
class IntKeySet {
 public:
  IntKeySet() = default;
  size_t size() const { return size_ + (has_zero_ ? 1 : 0); }
  // Prefetches the slot of `v` (before Insert(v)).
  void Prefetch(uint64_t v) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Slot(v)]);
  }
  // Adds `v`; returns whether it was new.
  bool Insert(uint64_t v) {
    if (v == 0) {
      const bool added = !has_zero_;
      has_zero_ = true;
      return added;
    }
    if (size_ + 1 > (slots_.size() >> 1) + (slots_.size() >> 2)) Grow();  // load <= 3/4
    const size_t mask = slots_.size() - 1;
    for (size_t i = Slot(v);; i = (i + 1) & mask) {
      if (slots_[i] == v) return false;
      if (slots_[i] == 0) {
        slots_[i] = v;
        ++size_;
        return true;
      }
    }
  }
  // Appends every value (in no particular order) to `*out`.
  void AppendTo(std::vector<uint64_t>* out) const;
  // Empties the set and frees its memory.
  void Clear();

 private:
  size_t Slot(uint64_t v) const { return static_cast<size_t>((v * 0x9e3779b97f4a7c15ull) >> shift_); }
  void Grow();

  std::vector<uint64_t> slots_;  // 0: empty
  int shift_ = 64;               // 64 - log2(slots_.size())
  size_t size_ = 0;              // non-zero values held
  bool has_zero_ = false;
};

// Collects the distinct keys of each of 2^bits partitions for one thread.
// Not thread-safe: one collector per scan thread.
class KeyCollector {
 public:
  // Runs are written to `path` (created on the first write). `int_keys`: every
  // key is 8 sort bytes (an integer key). Once the keys held take more than
  // about `max_bytes`, they are written out as runs and the sets emptied.
  KeyCollector(Env* env, std::string path, bool int_keys, int bits, uint64_t max_bytes);
  ~KeyCollector();

  // Adds the key `key_sort_bytes` of a record of partition `partition`.
  [[nodiscard]] absl::Status Add(size_t partition, std::string_view key_sort_bytes) {
    if (int_keys_) {
      // Batched: the slots of a batch are prefetched, then probed.
      pending_[pending_count_++] = Pending{static_cast<uint32_t>(partition), LoadBigEndian64(key_sort_bytes.data())};
      if (pending_count_ < kBatch) return absl::OkStatus();
      InsertPending();
    } else {
      if (!strings_[partition].emplace(key_sort_bytes).second) return absl::OkStatus();
      held_bytes_ += kStringKeyCost + key_sort_bytes.size();
    }
    return held_bytes_ > max_bytes_ ? Flush() : absl::OkStatus();
  }

  // Writes the keys held as runs and closes the file. Returns, per
  // partition, the blocks of its runs (empty: no keys). Call once.
  [[nodiscard]] absl::StatusOr<std::vector<std::vector<BlockRef>>> Finish();

  // Bytes written to the key file so far.
  uint64_t bytes_written() const { return writer_ ? writer_->bytes_written() : 0; }
  // Times the sets were written out because they outgrew `max_bytes`.
  int flushes() const { return flushes_; }

 private:
  // Approximate bytes one held key costs (hash table slot, control byte and
  // the table's growth slack; strings: their header and heap copy too).
  static constexpr uint64_t kIntKeyCost = 16;
  static constexpr uint64_t kStringKeyCost = 64;

  static constexpr size_t kBatch = 16;
  struct Pending {
    uint32_t partition;
    uint64_t key;
  };

  static uint64_t LoadBigEndian64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
  }
  // Inserts the pending integer keys.
  void InsertPending() {
    for (size_t i = 0; i < pending_count_; ++i) ints_[pending_[i].partition].Prefetch(pending_[i].key);
    for (size_t i = 0; i < pending_count_; ++i)
      if (ints_[pending_[i].partition].Insert(pending_[i].key)) held_bytes_ += kIntKeyCost;
    pending_count_ = 0;
  }
  absl::Status Flush();

  Env* env_;
  std::string path_;
  bool int_keys_;
  uint64_t max_bytes_;
  uint64_t held_bytes_ = 0;
  int flushes_ = 0;
  std::vector<IntKeySet> ints_;
  Pending pending_[kBatch];
  size_t pending_count_ = 0;
  std::vector<absl::flat_hash_set<std::string>> strings_;
  std::unique_ptr<SpillWriter> writer_;
  std::vector<std::vector<BlockRef>> blocks_;
};

// Writes `sorted_keys` (sorted by memcmp, no duplicates) as one run of
// blocks through `writer`, appending the blocks' places to `*blocks`.
[[nodiscard]] absl::Status WriteKeyRun(std::span<const std::string_view> sorted_keys, SpillWriter* writer,
                                       std::vector<BlockRef>* blocks);

// Decodes the data of one run block (without its block header), appending
// its keys to `*keys`. Damage is a kDataLoss error naming `where`.
[[nodiscard]] absl::Status DecodeKeyBlock(std::string_view data, const std::string& where,
                                          std::vector<std::string>* keys);

// The distinct keys of the runs in `blocks`, sorted by memcmp.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ReadDistinctKeys(Env* env, std::span<const BlockRef> blocks);

// The number of distinct keys in the runs in `blocks`.
[[nodiscard]] absl::StatusOr<uint64_t> CountDistinctKeys(Env* env, std::span<const BlockRef> blocks);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_KEY_LIST_H_
