#include "group/key_list.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows {

namespace {

void StoreBigEndian64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
}

size_t SharedPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// Reads the data of every block in `blocks` and hands each key to `fn`.
template <typename Fn>
absl::Status ForEachKey(Env* env, std::span<const BlockRef> blocks, Fn fn) {
  std::string buffer;
  std::vector<std::string> keys;
  for (const BlockRef& b : blocks) {
    size_t used = 0;
    RETURN_IF_ERROR(ReadSpillBlocksInto(env, std::span<const BlockRef>(&b, 1), &buffer, &used));
    keys.clear();
    RETURN_IF_ERROR(DecodeKeyBlock(std::string_view(buffer.data(), used),
                                   fmt::format("key file '{}', block at offset {}", b.path, b.offset), &keys));
    for (const std::string& k : keys) fn(k);
  }
  return absl::OkStatus();
}

}  // namespace

KeyCollector::KeyCollector(Env* env, std::string path, bool int_keys, int bits, uint64_t max_bytes)
    : env_(env), path_(std::move(path)), int_keys_(int_keys), max_bytes_(max_bytes), blocks_(size_t{1} << bits) {
  if (int_keys_) {
    ints_.resize(size_t{1} << bits);
  } else {
    strings_.resize(size_t{1} << bits);
  }
}

KeyCollector::~KeyCollector() = default;

void IntKeySet::Grow() {
  std::vector<uint64_t> old;
  old.swap(slots_);
  const size_t capacity = old.empty() ? 1024 : 2 * old.size();
  slots_.assign(capacity, 0);
  shift_ = 64 - __builtin_ctzll(capacity);
  const size_t mask = capacity - 1;
  for (uint64_t v : old) {
    if (v == 0) continue;
    size_t i = Slot(v);
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = v;
  }
}

void IntKeySet::AppendTo(std::vector<uint64_t>* out) const {
  out->reserve(out->size() + size());
  if (has_zero_) out->push_back(0);
  for (uint64_t v : slots_)
    if (v != 0) out->push_back(v);
}

void IntKeySet::Clear() {
  std::vector<uint64_t>().swap(slots_);
  shift_ = 64;
  size_ = 0;
  has_zero_ = false;
}

absl::Status KeyCollector::Flush() {
  InsertPending();
  std::vector<std::string> storage;
  std::vector<std::string_view> sorted;
  for (size_t p = 0; p < blocks_.size(); ++p) {
    storage.clear();
    sorted.clear();
    if (int_keys_) {
      std::vector<uint64_t> v;
      ints_[p].AppendTo(&v);
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      storage.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        storage[i].resize(8);
        StoreBigEndian64(v[i], storage[i].data());
      }
      ints_[p].Clear();
    } else {
      if (strings_[p].empty()) continue;
      storage.reserve(strings_[p].size());
      for (auto it = strings_[p].begin(); it != strings_[p].end();) {
        auto node = strings_[p].extract(it++);
        storage.push_back(std::move(node.value()));
      }
      std::sort(storage.begin(), storage.end());
      absl::flat_hash_set<std::string>().swap(strings_[p]);
    }
    sorted.assign(storage.begin(), storage.end());
    if (!writer_) {
      ASSIGN_OR_RETURN(
          writer_, SpillWriter::Open(env_, path_, /*records=*/false, SpillBlockOptions{SpillCodec::kNone, 0, false}));
    }
    RETURN_IF_ERROR(WriteKeyRun(sorted, writer_.get(), &blocks_[p]));
  }
  held_bytes_ = 0;
  ++flushes_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<BlockRef>>> KeyCollector::Finish() {
  RETURN_IF_ERROR(Flush());
  --flushes_;  // the final write is not a flush for memory
  if (writer_) RETURN_IF_ERROR(writer_->Close());
  return std::move(blocks_);
}

absl::Status WriteKeyRun(std::span<const std::string_view> sorted_keys, SpillWriter* writer,
                         std::vector<BlockRef>* blocks) {
  std::string data;
  for (size_t begin = 0; begin < sorted_keys.size(); begin += kKeysPerBlock) {
    const size_t end = std::min(sorted_keys.size(), begin + kKeysPerBlock);
    data.clear();
    PutVarint64(&data, end - begin);
    std::string_view prev;
    for (size_t i = begin; i < end; ++i) {
      const std::string_view k = sorted_keys[i];
      const size_t shared = i == begin ? 0 : SharedPrefix(prev, k);
      PutVarint64(&data, shared);
      PutVarint64(&data, k.size() - shared);
      data.append(k.data() + shared, k.size() - shared);
      prev = k;
    }
    BlockRef where;
    RETURN_IF_ERROR(writer->AppendBlock(data, &where));
    blocks->push_back(std::move(where));
  }
  return absl::OkStatus();
}

absl::Status DecodeKeyBlock(std::string_view data, const std::string& where, std::vector<std::string>* keys) {
  uint64_t count = 0;
  if (!GetVarint64(&data, &count)) return absl::DataLossError(fmt::format("{}: bad key count", where));
  std::string prev;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t shared = 0, rest = 0;
    if (!GetVarint64(&data, &shared) || !GetVarint64(&data, &rest) || shared > prev.size() || rest > data.size())
      return absl::DataLossError(fmt::format("{}: key {} of {} is damaged", where, i, count));
    prev.resize(shared);
    prev.append(data.data(), rest);
    data.remove_prefix(rest);
    keys->push_back(prev);
  }
  if (!data.empty()) return absl::DataLossError(fmt::format("{}: {} bytes after the last key", where, data.size()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadDistinctKeys(Env* env, std::span<const BlockRef> blocks) {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(ForEachKey(env, blocks, [&](const std::string& k) { keys.push_back(k); }));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

absl::StatusOr<uint64_t> CountDistinctKeys(Env* env, std::span<const BlockRef> blocks) {
  // Integer keys (8 sort bytes each) are counted as numbers: no allocation.
  std::vector<uint64_t> ints;
  std::vector<std::string> strings;
  RETURN_IF_ERROR(ForEachKey(env, blocks, [&](const std::string& k) {
    if (k.size() == 8) {
      uint64_t v = 0;
      for (char c : k) v = (v << 8) | static_cast<unsigned char>(c);
      ints.push_back(v);
    } else {
      strings.push_back(k);
    }
  }));
  std::sort(ints.begin(), ints.end());
  std::sort(strings.begin(), strings.end());
  return static_cast<uint64_t>(std::unique(ints.begin(), ints.end()) - ints.begin()) +
         static_cast<uint64_t>(std::unique(strings.begin(), strings.end()) - strings.begin());
}

}  // namespace proberows
