#include "group/partitioner.h"

#include <fmt/format.h>

#include "group/record.h"
#include "util/status_macros.h"

namespace proberows {

SpillPartitioner::SpillPartitioner(Env* env, std::string dir, std::string prefix, int bits, uint64_t base_index,
                                   size_t buffer_bytes)
    : env_(env),
      dir_(std::move(dir)),
      prefix_(std::move(prefix)),
      bits_(bits),
      base_index_(base_index),
      buffer_bytes_(buffer_bytes),
      buffers_(size_t{1} << bits),
      writers_(size_t{1} << bits),
      records_(size_t{1} << bits),
      bytes_(size_t{1} << bits) {}

SpillPartitioner::~SpillPartitioner() = default;

absl::Status SpillPartitioner::FlushPartition(size_t p) {
  std::string& buf = buffers_[p];
  if (buf.empty()) return absl::OkStatus();
  if (!writers_[p]) {
    const std::string path = fmt::format("{}/{}-{}.spill", dir_, prefix_, base_index_ + p);
    ASSIGN_OR_RETURN(writers_[p], SpillWriter::Open(env_, path));
  }
  RETURN_IF_ERROR(writers_[p]->AppendBlock(buf));
  buffered_ -= buf.size();
  buf.clear();
  return absl::OkStatus();
}

absl::Status SpillPartitioner::Add(uint64_t key_hash, std::string_view record) {
  if (failed_) return absl::FailedPreconditionError("spill partitioner failed earlier");
  const size_t p = bits_ == 0 ? 0 : static_cast<size_t>((key_hash << shift_bits_) >> (64 - bits_));
  std::string& buf = buffers_[p];
  if (buf.capacity() == 0) buf.reserve(buffer_bytes_ + 4096);
  buf.append(record.data(), record.size());
  buffered_ += record.size();
  added_ += record.size();
  ++records_[p];
  bytes_[p] += record.size();
  if (buf.size() >= buffer_bytes_) {
    absl::Status st = FlushPartition(p);
    if (!st.ok()) {
      failed_ = true;
      return st;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Partition>> SpillPartitioner::Finish() {
  std::vector<Partition> out;
  for (size_t p = 0; p < buffers_.size(); ++p) {
    RETURN_IF_ERROR(FlushPartition(p));
    std::string().swap(buffers_[p]);
    if (!writers_[p]) continue;
    const std::string path = writers_[p]->path();
    RETURN_IF_ERROR(writers_[p]->Close());
    writers_[p].reset();
    Partition part;
    part.paths.push_back(path);
    part.bytes = bytes_[p];
    part.records = records_[p];
    part.bits = shift_bits_ + bits_;
    part.index = base_index_ + p;
    out.push_back(std::move(part));
  }
  return out;
}

absl::StatusOr<std::vector<Partition>> SplitPartition(Env* env, const Partition& partition, int extra_bits,
                                                      const std::string& dir, size_t buffer_bytes) {
  SpillPartitioner sub(env, dir, fmt::format("split{}-{}", partition.bits, partition.index), extra_bits,
                       partition.index << extra_bits, buffer_bytes);
  sub.shift_bits_ = partition.bits;
  {
    std::string data;
    for (const std::string& path : partition.paths) {
      data.clear();
      RETURN_IF_ERROR(ReadSpillFile(env, path, &data));
      size_t pos = 0;
      while (pos < data.size()) {
        RecordView r{data.data() + pos};
        RETURN_IF_ERROR(sub.Add(r.hash(), std::string_view(r.data, r.total_size())));
        pos += r.total_size();
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<Partition> parts, sub.Finish());
  for (const std::string& path : partition.paths) (void)env->RemoveFile(path);
  return parts;
}

MemoryPartitioner::MemoryPartitioner(int bits, uint64_t max_bytes, std::atomic<uint64_t>* held)
    : bits_(bits), max_bytes_(max_bytes), held_(held), parts_(size_t{1} << bits) {
  for (size_t i = 0; i < parts_.size(); ++i) {
    parts_[i].bits = bits;
    parts_[i].index = i;
  }
}

absl::Status MemoryPartitioner::Add(uint64_t key_hash, std::string_view record) {
  Partition& p = parts_[PartitionOf(key_hash, bits_)];
  p.data.append(record.data(), record.size());
  p.bytes += record.size();
  ++p.records;
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

std::vector<Partition> MemoryPartitioner::Finish() {
  std::vector<Partition> out;
  for (Partition& p : parts_)
    if (p.records > 0) out.push_back(std::move(p));
  return out;
}

}  // namespace proberows
