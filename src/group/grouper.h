// Grouper: turns one partition's records into encoded rows. Sorts the records
// by (key hash, key, order, payload), cuts them into one group per key and
// encodes each group as a tf.train.Example. Shared by all three strategies.
#ifndef PROBEROWS_GROUP_GROUPER_H_
#define PROBEROWS_GROUP_GROUPER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "group/record.h"
#include "group/row_cut.h"
#include "proberows/example.h"
#include "util/byte_buffer.h"

namespace proberows {

// Encoded rows of one partition, in output order.
struct EncodedRows {
  ByteBuffer data;                     // rows back to back
  std::vector<uint64_t> ends;          // end offset of each row in data
  std::vector<uint32_t> measurements;  // measurements per row
  // Cut rows only (group/row_cut.h): 1 where a row continues the key of the
  // row before it; empty when every row is a key of its own.
  std::vector<uint8_t> continues;

  size_t size() const { return ends.size(); }
  std::string_view row(size_t i) const {
    const uint64_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(data.data() + begin, ends[i] - begin);
  }
  // Whether row `i` continues the key of row i - 1.
  bool continues_key(size_t i) const { return !continues.empty() && continues[i] != 0; }
  // The keys the rows hold.
  size_t keys() const {
    size_t n = ends.size();
    for (uint8_t c : continues) n -= c;
    return n;
  }
  void Clear() {
    data.clear();
    ends.clear();
    measurements.clear();
    continues.clear();
  }
};

// A measurement record's sort key, pointing into the records buffer. The
// first 8 key bytes (zero-padded, as a big-endian number) and the key length
// let most comparisons finish without touching the record itself: keys of at
// most 8 bytes (every integer key) compare exactly by (prefix, length).
struct GroupRef {
  uint64_t hash;
  uint64_t key_prefix;
  uint64_t order;
  const char* rec;
  uint32_t key_length;
};

// Buffers GroupAndEncode reuses from one call to the next, so that grouping
// partition after partition allocates (and page-faults) nothing new.
struct GroupScratch {
  std::vector<GroupRef> refs;
  std::vector<std::string_view> payloads;
  std::string key_segment;
  std::string check;  // cut rows: static columns checked across a key's rows
};

// Sorts and encodes the records in `records` (a buffer of whole measurement
// records), appending one row per key to `out`, or, with `cut` enabled, the
// key's cut rows (group/row_cut.h; `encoder` then takes cut->Features() as its
// row features). Errors (a static column that varies) name the key.
// `hasher` gives each record's key hash (records do not store it).
[[nodiscard]] absl::Status GroupAndEncode(std::string_view records, const ExampleEncoder& encoder,
                                          const KeyHasher& hasher, EncodedRows* out, GroupScratch* scratch,
                                          const RowCut* cut = nullptr);

// The Example segment of a key given its sort bytes (source/key_codec.h).
void KeySegment(bool key_is_string, std::string_view key_sort_bytes, std::string* out);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_GROUPER_H_
