// Partitioners: the RecordSinks of the scan. Records are routed by the top
// `bits` bits of their key hash, so partition i holds exactly the keys whose
// hashes fall in the i-th slice of the hash range: processing partitions in
// index order visits keys in global hash order.
//
// SpillPartitioner buffers each partition and appends full buffers as blocks
// to one spill file (all partitions interleaved, each block of one
// partition); MemoryPartitioner keeps everything in RAM. Both can hand every
// record's key to a KeyCollector (group/key_list.h).
#ifndef PROBEROWS_GROUP_PARTITIONER_H_
#define PROBEROWS_GROUP_PARTITIONER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "group/key_list.h"
#include "group/record.h"
#include "group/spill_file.h"
#include "proberows/env.h"
#include "source/row_converter.h"

namespace proberows {

inline int PartitionOf(uint64_t hash, int bits) { return bits == 0 ? 0 : static_cast<int>(hash >> (64 - bits)); }

// One partition's records, on disk or in memory, and its keys.
struct Partition {
  int bits = 0;        // hash bits that select it
  uint64_t index = 0;  // its value of those bits
  uint64_t records = 0;
  uint64_t bytes = 0;              // record bytes
  std::vector<BlockRef> blocks;    // spilled records, read back in order
  std::string data;                // in-memory records
  std::vector<BlockRef> key_runs;  // its keys as runs (group/key_list.h)

  // Adds `other`'s records, blocks and key runs (same partition, another
  // source: a scan thread, a map task) to this one.
  void Absorb(Partition&& other);
};

// Spill blocks kept in memory instead of written, shared by the partitioners
// of a map task's scan threads: blocks of partitions below `partitions`, as
// long as all of them together hold at most `max_bytes`. The reduce reads the
// partitions in index order, so the kept ones are the first it frees.
struct SpillKeep {
  uint64_t partitions = 0;
  uint64_t max_bytes = 0;
  std::atomic<uint64_t> held{0};
};

class SpillPartitioner final : public RecordSink {
 public:
  // Blocks go to the file at `path` (created on the first block; its folder
  // must exist). `buffer_bytes` is the per-partition buffer. `keys` (may be
  // null; not owned) receives the key of every record added. The partition
  // of a record is taken from its hash after skipping `shift_bits` bits
  // (re-splitting), and numbered from `base_index`. Blocks are encoded with
  // `options`. REQUIRES: bits <= 20.
  SpillPartitioner(Env* env, std::string path, int bits, size_t buffer_bytes, KeyCollector* keys = nullptr,
                   int shift_bits = 0, uint64_t base_index = 0, SpillBlockOptions options = {},
                   SpillKeep* keep = nullptr);
  ~SpillPartitioner() override;

  absl::Status Add(uint64_t key_hash, std::string_view record) override;
  // Flushes and closes the file; returns all 2^bits partitions in index
  // order (bits = shift_bits + bits), empty ones included. Key runs are left
  // empty (the KeyCollector reports them).
  [[nodiscard]] absl::StatusOr<std::vector<Partition>> Finish();

  uint64_t bytes_written() const { return writer_ ? writer_->bytes_written() : 0; }
  // Bytes of the blocks kept in memory (`keep`).
  uint64_t bytes_kept() const { return kept_; }

 private:
  absl::Status FlushPartition(size_t p);

  Env* env_;
  SpillBlockOptions options_;
  std::string path_;
  int bits_;
  int shift_bits_;
  size_t buffer_bytes_;
  KeyCollector* keys_;
  SpillKeep* keep_;
  uint64_t kept_ = 0;
  std::unique_ptr<SpillWriter> writer_;
  std::vector<std::string> buffers_;
  std::vector<Partition> parts_;
  bool failed_ = false;
};

// Re-partitions an oversized partition by its next `extra_bits` hash bits
// into one new spill file at `path`. The result (2^extra_bits partitions,
// empty ones included) is in hash order; key runs are not kept.
[[nodiscard]] absl::StatusOr<std::vector<Partition>> SplitPartition(Env* env, const Partition& partition,
                                                                    int extra_bits, const std::string& path,
                                                                    size_t buffer_bytes, const KeyHasher& hasher,
                                                                    SpillBlockOptions options = {});

class MemoryPartitioner final : public RecordSink {
 public:
  // Fails with kResourceExhausted once more than `max_bytes` are held by all
  // the partitioners sharing `*held` (which counts their bytes). `keys` (may
  // be null; not owned) receives the key of every record added.
  MemoryPartitioner(int bits, uint64_t max_bytes, std::atomic<uint64_t>* held, KeyCollector* keys = nullptr);
  absl::Status Add(uint64_t key_hash, std::string_view record) override;
  // All 2^bits partitions in index order, empty ones included.
  std::vector<Partition> Finish();

 private:
  int bits_;
  uint64_t max_bytes_;
  std::atomic<uint64_t>* held_;
  KeyCollector* keys_;
  std::vector<Partition> parts_;
  uint64_t unreported_ = 0;  // bytes added but not yet counted in *held_
};

}  // namespace proberows

#endif  // PROBEROWS_GROUP_PARTITIONER_H_
