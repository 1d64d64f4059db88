// Partitioners: the RecordSinks of the scan. Records are routed by the top
// `bits` bits of their key hash, so partition i holds exactly the keys whose
// hashes fall in the i-th slice of the hash range: processing partitions in
// index order visits keys in global hash order.
//
// SpillPartitioner buffers each partition and appends full buffers as blocks
// to one spill file per partition; MemoryPartitioner keeps everything in RAM.
#ifndef PROBEROWS_GROUP_PARTITIONER_H_
#define PROBEROWS_GROUP_PARTITIONER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "group/spill_file.h"
#include "proberows/env.h"
#include "source/row_converter.h"

namespace proberows {

inline int PartitionOf(uint64_t hash, int bits) { return bits == 0 ? 0 : static_cast<int>(hash >> (64 - bits)); }

// One partition's data, on disk or in memory.
struct Partition {
  std::vector<std::string> paths;  // spill files, read back to back (none: in memory)
  std::string data;                // in-memory records
  uint64_t bytes = 0;              // record bytes
  uint64_t records = 0;
  int bits = 0;        // hash bits that select it
  uint64_t index = 0;  // its value of those bits
};

class SpillPartitioner final : public RecordSink {
 public:
  // Files are created in `dir` (which must exist) as "<prefix>-<index>.spill".
  // `buffer_bytes` is the per-partition buffer; REQUIRES: bits <= 20.
  SpillPartitioner(Env* env, std::string dir, std::string prefix, int bits, uint64_t base_index, size_t buffer_bytes);
  ~SpillPartitioner() override;

  absl::Status Add(uint64_t key_hash, std::string_view record) override;
  // Flushes and closes every file; returns the partitions in index order
  // (partitions that received nothing are omitted). `hash_shift` is the
  // number of hash bits consumed before this partitioner (for re-splitting).
  [[nodiscard]] absl::StatusOr<std::vector<Partition>> Finish();

  uint64_t bytes_buffered() const { return buffered_; }
  uint64_t bytes_added() const { return added_; }

 private:
  absl::Status FlushPartition(size_t p);

  Env* env_;
  std::string dir_;
  std::string prefix_;
  int bits_;
  int shift_bits_ = 0;  // bits already consumed by a parent split
  uint64_t base_index_;
  size_t buffer_bytes_;
  std::vector<std::string> buffers_;
  std::vector<std::unique_ptr<SpillWriter>> writers_;
  std::vector<uint64_t> records_;
  std::vector<uint64_t> bytes_;
  uint64_t buffered_ = 0;
  uint64_t added_ = 0;
  bool failed_ = false;

  friend absl::StatusOr<std::vector<Partition>> SplitPartition(Env*, const Partition&, int, const std::string&, size_t);
};

// Re-partitions an oversized spilled partition by the next `extra_bits` hash
// bits into new spill files in `dir`; removes the original file. The result
// is in hash order.
[[nodiscard]] absl::StatusOr<std::vector<Partition>> SplitPartition(Env* env, const Partition& partition,
                                                                    int extra_bits, const std::string& dir,
                                                                    size_t buffer_bytes);

class MemoryPartitioner final : public RecordSink {
 public:
  // Fails with kResourceExhausted once more than `max_bytes` are held by all
  // the partitioners sharing `*held` (which counts their bytes).
  MemoryPartitioner(int bits, uint64_t max_bytes, std::atomic<uint64_t>* held);
  absl::Status Add(uint64_t key_hash, std::string_view record) override;
  std::vector<Partition> Finish();

 private:
  int bits_;
  uint64_t max_bytes_;
  std::atomic<uint64_t>* held_;
  std::vector<Partition> parts_;
  uint64_t unreported_ = 0;  // bytes added but not yet counted in *held_
};

}  // namespace proberows

#endif  // PROBEROWS_GROUP_PARTITIONER_H_
