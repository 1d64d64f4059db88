#include "group/partitioner.h"

#include <fmt/format.h>

#include "group/record.h"
#include "util/status_macros.h"

namespace proberows {

void Partition::Absorb(Partition&& other) {
  records += other.records;
  bytes += other.bytes;
  for (BlockRef& b : other.blocks) blocks.push_back(std::move(b));
  for (BlockRef& b : other.key_runs) key_runs.push_back(std::move(b));
  if (data.empty()) {
    data = std::move(other.data);
  } else {
    data.append(other.data);
    std::string().swap(other.data);
  }
}

SpillPartitioner::SpillPartitioner(Env* env, std::string path, int bits, size_t buffer_bytes, KeyCollector* keys,
                                   int shift_bits, uint64_t base_index, SpillBlockOptions options, SpillKeep* keep)
    : env_(env),
      options_(options),
      path_(std::move(path)),
      bits_(bits),
      shift_bits_(shift_bits),
      buffer_bytes_(buffer_bytes),
      keys_(keys),
      keep_(keep),
      buffers_(size_t{1} << bits),
      parts_(size_t{1} << bits) {
  for (size_t i = 0; i < parts_.size(); ++i) {
    parts_[i].bits = shift_bits + bits;
    parts_[i].index = base_index + i;
  }
}

SpillPartitioner::~SpillPartitioner() = default;

absl::Status SpillPartitioner::FlushPartition(size_t p) {
  std::string& buf = buffers_[p];
  if (buf.empty()) return absl::OkStatus();
  if (!writer_) {
    ASSIGN_OR_RETURN(writer_, SpillWriter::Open(env_, path_, /*records=*/true, options_));
  }
  BlockRef where;
  if (keep_ != nullptr && parts_[p].index < keep_->partitions) {
    auto block = std::make_shared<std::string>();
    writer_->EncodeBlock(buf, block.get());
    if (keep_->held.fetch_add(block->size()) + block->size() <= keep_->max_bytes) {
      block->shrink_to_fit();
      kept_ += block->size();
      where = BlockRef{fmt::format("{} (kept in memory)", path_), 0, block->size(), std::move(block)};
      parts_[p].blocks.push_back(std::move(where));
      buf.clear();
      return absl::OkStatus();
    }
    keep_->held.fetch_sub(block->size());
    RETURN_IF_ERROR(writer_->AppendEncodedBlock(*block, buf.size(), &where));
  } else {
    RETURN_IF_ERROR(writer_->AppendBlock(buf, &where));
  }
  parts_[p].blocks.push_back(std::move(where));
  buf.clear();
  return absl::OkStatus();
}

absl::Status SpillPartitioner::Add(uint64_t key_hash, std::string_view record) {
  if (failed_) return absl::FailedPreconditionError("spill partitioner failed earlier");
  const size_t p = bits_ == 0 ? 0 : static_cast<size_t>((key_hash << shift_bits_) >> (64 - bits_));
  std::string& buf = buffers_[p];
  if (buf.capacity() == 0) buf.reserve(buffer_bytes_ + 4096);
  buf.append(record.data(), record.size());
  ++parts_[p].records;
  parts_[p].bytes += record.size();
  absl::Status st;
  if (keys_ != nullptr) st = keys_->Add(p, RecordView{record.data()}.key());
  if (st.ok() && buf.size() >= buffer_bytes_) st = FlushPartition(p);
  if (!st.ok()) failed_ = true;
  return st;
}

absl::StatusOr<std::vector<Partition>> SpillPartitioner::Finish() {
  for (size_t p = 0; p < buffers_.size(); ++p) {
    RETURN_IF_ERROR(FlushPartition(p));
    std::string().swap(buffers_[p]);
  }
  if (writer_) RETURN_IF_ERROR(writer_->Close());
  return std::move(parts_);
}

absl::StatusOr<std::vector<Partition>> SplitPartition(Env* env, const Partition& partition, int extra_bits,
                                                      const std::string& path, size_t buffer_bytes,
                                                      const KeyHasher& hasher, SpillBlockOptions options) {
  SpillPartitioner sub(env, path, extra_bits, buffer_bytes, nullptr, partition.bits, partition.index << extra_bits,
                       options);
  auto add_all = [&](std::string_view data) -> absl::Status {
    size_t pos = 0;
    while (pos < data.size()) {
      RecordView r{data.data() + pos};
      RETURN_IF_ERROR(sub.Add(hasher(r.key()), std::string_view(r.data, r.total_size())));
      pos += r.total_size();
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(add_all(partition.data));
  std::string buffer;
  SpillReadScratch scratch;
  for (const BlockRef& b : partition.blocks) {
    size_t used = 0;
    RETURN_IF_ERROR(ReadSpillBlocksInto(env, std::span<const BlockRef>(&b, 1), &buffer, &used, &scratch));
    RETURN_IF_ERROR(add_all(std::string_view(buffer.data(), used)));
  }
  return sub.Finish();
}

MemoryPartitioner::MemoryPartitioner(int bits, uint64_t max_bytes, std::atomic<uint64_t>* held, KeyCollector* keys)
    : bits_(bits), max_bytes_(max_bytes), held_(held), keys_(keys), parts_(size_t{1} << bits) {
  for (size_t i = 0; i < parts_.size(); ++i) {
    parts_[i].bits = bits;
    parts_[i].index = i;
  }
}

absl::Status MemoryPartitioner::Add(uint64_t key_hash, std::string_view record) {
  const int index = PartitionOf(key_hash, bits_);
  Partition& p = parts_[index];
  p.data.append(record.data(), record.size());
  p.bytes += record.size();
  ++p.records;
  if (keys_ != nullptr) RETURN_IF_ERROR(keys_->Add(index, RecordView{record.data()}.key()));
  unreported_ += record.size();
  // Report in batches: one shared counter update per MiB, not per record.
  if (unreported_ < (uint64_t{1} << 20)) return absl::OkStatus();
  const uint64_t held = held_->fetch_add(unreported_) + unreported_;
  unreported_ = 0;
  if (held > max_bytes_)
    return absl::ResourceExhaustedError(fmt::format(
        "the in-memory strategy holds more than {} of records, over its share of --memory-limit; use --strategy "
        "streaming (the default) or raise --memory-limit",
        held));
  return absl::OkStatus();
}

std::vector<Partition> MemoryPartitioner::Finish() { return std::move(parts_); }

}  // namespace proberows
