#include "group/grouper.h"

#include <algorithm>
#include <cstring>
#include <span>

#include <fmt/format.h>

#include "example/segment.h"
#include "group/record.h"
#include "source/input_source.h"
#include "source/key_codec.h"
#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows {

namespace {

inline int CompareViews(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

// The first 8 bytes of `key`, zero-padded, as a big-endian number: numeric
// order is memcmp order.
inline uint64_t KeyPrefix(std::string_view key) {
  unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(b, key.data(), std::min<size_t>(8, key.size()));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// Key order without touching the records when both keys fit the prefix:
// zero padding makes (prefix, length) order equal memcmp-then-shorter order.
inline int CompareKeys(const GroupRef& a, const GroupRef& b) {
  if (a.key_prefix != b.key_prefix) return a.key_prefix < b.key_prefix ? -1 : 1;
  if (a.key_length <= 8 && b.key_length <= 8)
    return a.key_length < b.key_length ? -1 : (a.key_length > b.key_length ? 1 : 0);
  return CompareViews(RecordView{a.rec}.key(), RecordView{b.rec}.key());
}

inline bool RefLess(const GroupRef& a, const GroupRef& b) {
  if (a.hash != b.hash) return a.hash < b.hash;
  const int kc = CompareKeys(a, b);
  if (kc != 0) return kc < 0;
  if (a.order != b.order) return a.order < b.order;
  return CompareViews(RecordView{a.rec}.payload(), RecordView{b.rec}.payload()) < 0;
}

}  // namespace

void KeySegment(bool key_is_string, std::string_view key_sort_bytes, std::string* out) {
  out->clear();
  if (key_is_string) {
    AppendBytesSegment(out, key_sort_bytes);
  } else {
    AppendInt64Segment(out, DecodeIntKey(key_sort_bytes));
  }
}

namespace {

// Encodes the records refs[i, j) of one key as its cut rows.
absl::Status EncodeCutRows(std::span<const GroupRef> refs, std::string_view key_segment, const ExampleEncoder& encoder,
                           const RowCut& cut, bool has_static, EncodedRows* out, GroupScratch* scratch) {
  std::vector<std::string_view>& payloads = scratch->payloads;
  int64_t row_index = 0;
  const std::string_view first = RecordView{refs[0].rec}.payload();
  for (size_t a = 0; a < refs.size();) {
    size_t b = refs.size();
    int64_t window_start = 0;
    if (cut.window > 0) {
      window_start = cut.WindowStart(refs[a].order);
      b = a + 1;
      while (b < refs.size() && cut.WindowStart(refs[b].order) == window_start) ++b;
    }
    for (size_t c = a; c < b;) {
      const size_t e = cut.max_measurements > 0 ? std::min<size_t>(b, c + cut.max_measurements) : b;
      payloads.clear();
      for (size_t k = c; k < e; ++k) payloads.push_back(RecordView{refs[k].rec}.payload());
      const int64_t values[2] = {row_index, window_start};
      const std::span<const int64_t> row_values(values, cut.window > 0 ? 2 : 1);
      if (row_index > 0 && has_static) {
        // Static columns agree within each row (EncodeRow checks); across
        // the rows, each row's first measurement must agree with the key's.
        const std::string_view pair[2] = {first, payloads[0]};
        scratch->check.clear();
        RETURN_IF_ERROR(
            encoder.EncodeRow(key_segment, pair, &scratch->check, ExampleEncoder::Trust::kOwnSegments, row_values));
      }
      RETURN_IF_ERROR(encoder.EncodeRowTo(
          key_segment, payloads, [out](size_t n) { return out->data.Extend(n); }, ExampleEncoder::Trust::kOwnSegments,
          row_values));
      out->ends.push_back(out->data.size());
      out->measurements.push_back(static_cast<uint32_t>(e - c));
      out->continues.push_back(row_index > 0 ? 1 : 0);
      ++row_index;
      c = e;
    }
    a = b;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status GroupAndEncode(std::string_view records, const ExampleEncoder& encoder, const KeyHasher& hasher,
                            EncodedRows* out, GroupScratch* scratch, const RowCut* cut) {
  const bool key_is_string = hasher.key_is_string;
  std::vector<GroupRef>& refs = scratch->refs;
  refs.clear();
  size_t pos = 0;
  while (pos < records.size()) {
    if (records.size() - pos < kRecordFixedHeaderSize + 1)
      return absl::InternalError(fmt::format("truncated measurement record at offset {}", pos));
    RecordView r{records.data() + pos};
    if (r.total_size() > records.size() - pos)
      return absl::InternalError(fmt::format("measurement record at offset {} overruns its partition", pos));
    const std::string_view key = r.key();
    if (key.data() + key.size() > r.data + r.total_size())
      return absl::InternalError(fmt::format("measurement record at offset {} has a key past its end", pos));
    refs.push_back(GroupRef{hasher(key), KeyPrefix(key), r.order(), r.data, static_cast<uint32_t>(key.size())});
    pos += r.total_size();
  }
  std::sort(refs.begin(), refs.end(), [](const GroupRef& a, const GroupRef& b) { return RefLess(a, b); });

  std::vector<std::string_view>& payloads = scratch->payloads;
  std::string& key_segment = scratch->key_segment;
  const bool cutting = cut != nullptr && cut->enabled();
  bool has_static = false;
  for (const ColumnSpec& c : encoder.schema()) has_static |= c.role == ColumnRole::kStatic;
  // Records are visited in sorted order, i.e. at random places in `records`:
  // fetch the lines of the records a little ahead of the one being encoded so
  // that the misses overlap instead of stalling one by one.
  constexpr size_t kPrefetchAhead = 24;
  size_t prefetched = 0;
  size_t i = 0;
  while (i < refs.size()) {
    const RecordView first{refs[i].rec};
    const std::string_view key = first.key();
    size_t j = i + 1;
    while (j < refs.size() && refs[j].hash == refs[i].hash && CompareKeys(refs[j], refs[i]) == 0) ++j;
    for (const size_t until = std::min(refs.size(), j + kPrefetchAhead); prefetched < until; ++prefetched) {
      const char* rec = refs[prefetched].rec;
      __builtin_prefetch(rec);
      __builtin_prefetch(rec + 64);
      __builtin_prefetch(rec + 128);
    }
    KeySegment(key_is_string, key, &key_segment);
    if (cutting) {
      RETURN_IF_ERROR(EncodeCutRows(std::span<const GroupRef>(refs.data() + i, j - i), key_segment, encoder, *cut,
                                    has_static, out, scratch));
      i = j;
      continue;
    }
    payloads.clear();
    for (size_t k = i; k < j; ++k) payloads.push_back(RecordView{refs[k].rec}.payload());
    // The records are the converter's own, back from checksummed spill
    // blocks or memory: only their lengths need checking.
    absl::Status st = encoder.EncodeRowTo(
        key_segment, payloads, [out](size_t n) { return out->data.Extend(n); }, ExampleEncoder::Trust::kOwnSegments);
    if (!st.ok()) return st;
    out->ends.push_back(out->data.size());
    out->measurements.push_back(static_cast<uint32_t>(j - i));
    i = j;
  }
  return absl::OkStatus();
}

}  // namespace proberows
