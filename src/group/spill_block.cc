#include "group/spill_block.h"

#include <lz4.h>
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "group/record.h"
#include "util/small_copy.h"
#include "util/varint.h"

namespace proberows {

// How the columnar layout stores one column's segment lengths (or the key
// lengths).
enum ColumnKind : uint8_t {
  kLengths = 0,    // a varint per record
  kConstant = 1,   // one varint: every record's length
  kFromOrder = 2,  // payload columns only: the segment is the int64 segment of the record's order value
};

struct SpillBlockEncoder::Stream {
  std::string buf;  // raw storage: size() is the capacity
  size_t size = 0;
  char* Room(size_t n) {
    if (buf.size() - size < n) buf.resize(std::max(2 * buf.size(), size + n + 4096));
    return buf.data() + size;
  }
  void Put(uint64_t v) { size = static_cast<size_t>(EncodeVarint64(Room(kMaxVarint64Length), v) - buf.data()); }
  void Append(const char* p, size_t n) { size = static_cast<size_t>(CopySmall(Room(n), p, n) - buf.data()); }
  std::string_view view() const { return std::string_view(buf.data(), size); }
};

namespace {

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Reads a varint at [*p, end); false on truncation or overflow.
inline bool ReadVarint(const char** p, const char* end, uint64_t* v) {
  const char* q = *p;
  if (q < end && static_cast<unsigned char>(*q) < 0x80) {  // the common one-byte case
    *v = static_cast<unsigned char>(*q);
    *p = q + 1;
    return true;
  }
  std::string_view s(q, static_cast<size_t>(end - q));
  if (!GetVarint64(&s, v)) return false;
  *p = s.data();
  return true;
}

// The int64 segment (a plain varint) of the value whose sortable form is `order`.
inline size_t OrderSegment(uint64_t order, char* out) {
  return static_cast<size_t>(EncodeVarint64(out, order ^ 0x8000000000000000ull) - out);
}

}  // namespace

const char* ParseSpillBlockHeader(const char* p, SpillBlockHeader* h) {
  if (DecodeFixed32(p) != kSpillBlockMagic) return "bad block magic";
  const auto codec = static_cast<uint8_t>(p[4]);
  const auto layout = static_cast<uint8_t>(p[5]);
  if (codec > 2) return "unknown block codec";
  if (layout > 1) return "unknown block layout";
  if (p[6] != 0 || p[7] != 0) return "bad block header";
  h->codec = static_cast<SpillCodec>(codec);
  h->layout = static_cast<SpillLayout>(layout);
  h->stored = DecodeFixed32(p + 8);
  h->plain = DecodeFixed32(p + 12);
  h->raw = DecodeFixed32(p + 16);
  h->check = DecodeFixed64(p + 20);
  if (h->stored > kMaxSpillBlockBytes || h->plain > kMaxSpillBlockBytes || h->raw > kMaxSpillBlockBytes)
    return "bad block sizes";
  if (h->codec == SpillCodec::kNone && h->stored != h->plain) return "bad block sizes";
  if (h->layout == SpillLayout::kBytes && h->plain != h->raw) return "bad block sizes";
  return nullptr;
}

uint64_t SpillBlockCheck(const char* header, std::string_view stored) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, header, 20);
  XXH3_64bits_update(&state, stored.data(), stored.size());
  return XXH3_64bits_digest(&state);
}

SpillBlockEncoder::SpillBlockEncoder(SpillBlockOptions options) : options_(options) {}

SpillBlockEncoder::~SpillBlockEncoder() {
  std::free(lz4_state_);
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_));
}

// The columnar layout of n records whose payloads have c segments each:
//   varint n, varint c
//   varint bytes, orders: n varints, zigzag(order - previous order) (the first against 0)
//   key lengths: u8 kind (kLengths: varint bytes + n varints; kConstant: varint length)
//   varint bytes, keys back to back
//   per payload column: u8 kind (kLengths: varint bytes + n varints; kConstant: varint length;
//     kFromOrder: nothing more), then unless kFromOrder: varint bytes, the segments back to back
//
// Records are taken in chunks of kChunk; within a chunk, column by column, so
// that each inner loop appends to one stream whose cursor stays in a register.
bool SpillBlockEncoder::EncodeColumnar(std::string_view records) {
  constexpr size_t kChunk = 128;
  const char* const end = records.data() + records.size();
  // Column count: from the first record.
  size_t c = 0;
  {
    const char* p = records.data();
    if (records.size() < kRecordFixedHeaderSize + 1) return false;
    const size_t total = 4 + static_cast<size_t>(RecordView::Load32(p));
    if (total > records.size() || total < kRecordFixedHeaderSize + 1) return false;
    const char* const rec_end = p + total;
    const char* q = p + kRecordFixedHeaderSize;
    uint64_t key_len = 0;
    if (!ReadVarint(&q, rec_end, &key_len) || key_len > static_cast<size_t>(rec_end - q)) return false;
    q += key_len;
    while (q < rec_end) {
      uint64_t len = 0;
      if (!ReadVarint(&q, rec_end, &len) || len > static_cast<size_t>(rec_end - q)) return false;
      q += len;
      ++c;
    }
  }
  if (streams_.size() < 3 + 2 * c) streams_.resize(3 + 2 * c);
  for (Stream& s : streams_) s.size = 0;
  // Per column (index 0: the key): the first length, whether any differs,
  // whether every segment is the order value's (payload columns only).
  std::vector<uint64_t> first_len(c + 1, 0);
  std::vector<uint8_t> differs(c + 1, 0), from_order(c + 1, 1);
  from_order[0] = 0;
  const char* cur[kChunk];
  const char* rec_end[kChunk];
  uint64_t orders[kChunk];
  const char* p = records.data();
  uint64_t n = 0;
  uint64_t prev_order = 0;
  bool first_chunk = true;
  while (p < end) {
    // Record headers of the chunk.
    size_t m = 0;
    const char* const chunk_begin = p;
    while (m < kChunk && p < end) {
      if (static_cast<size_t>(end - p) < kRecordFixedHeaderSize + 1) return false;
      const size_t total = 4 + static_cast<size_t>(RecordView::Load32(p));
      if (total > static_cast<size_t>(end - p) || total < kRecordFixedHeaderSize + 1) return false;
      rec_end[m] = p + total;
      orders[m] = Load64(p + 4);
      cur[m] = p + kRecordFixedHeaderSize;
      p += total;
      ++m;
    }
    const size_t chunk_bytes = static_cast<size_t>(p - chunk_begin);
    // Orders.
    {
      Stream& s = streams_[0];
      char* w = s.Room(m * kMaxVarint64Length);
      for (size_t i = 0; i < m; ++i) {
        w = EncodeVarint64(w, ZigZag(static_cast<int64_t>(orders[i] - prev_order)));
        prev_order = orders[i];
      }
      s.size = static_cast<size_t>(w - s.buf.data());
    }
    // Keys (column 0), then the payload columns.
    for (size_t j = 0; j <= c; ++j) {
      Stream& ls = streams_[1 + 2 * j];
      Stream& ds = streams_[2 + 2 * j];
      char* lw = ls.Room(m * kMaxVarint64Length);
      char* dw = ds.Room(chunk_bytes);
      if (first_chunk) {  // the first record's length, the one every other is compared with
        const char* q = cur[0];
        if (!ReadVarint(&q, rec_end[0], &first_len[j])) return false;
      }
      const uint64_t first = first_len[j];
      uint64_t any_differs = 0;
      bool order_candidate = from_order[j] != 0;
      for (size_t i = 0; i < m; ++i) {
        const char* q = cur[i];
        uint64_t len = 0;
        if (q >= rec_end[i] || !ReadVarint(&q, rec_end[i], &len) || len > static_cast<size_t>(rec_end[i] - q))
          return false;
        // A length written in more bytes than needed (never by our writers)
        // would come back shorter: such data is kept as bytes.
        if (q - cur[i] != 1 && static_cast<size_t>(q - cur[i]) != VarintLength(len)) return false;
        any_differs |= len ^ first;
        if (order_candidate) {
          char seg[kMaxVarint64Length];
          const size_t seg_len = OrderSegment(orders[i], seg);
          order_candidate = len == seg_len && std::memcmp(q, seg, len) == 0;
        }
        lw = EncodeVarint64(lw, len);
        dw = CopySmall(dw, q, len);
        cur[i] = q + len;
      }
      if (any_differs != 0) differs[j] = 1;
      from_order[j] = order_candidate ? 1 : 0;
      ls.size = static_cast<size_t>(lw - ls.buf.data());
      ds.size = static_cast<size_t>(dw - ds.buf.data());
    }
    for (size_t i = 0; i < m; ++i)
      if (cur[i] != rec_end[i]) return false;  // more segments than the first record had
    n += m;
    first_chunk = false;
  }
  // Assemble.
  plain_.clear();
  PutVarint64(&plain_, n);
  PutVarint64(&plain_, c);
  PutVarint64(&plain_, streams_[0].size);
  plain_.append(streams_[0].view());
  for (size_t j = 0; j <= c; ++j) {
    const Stream& lens = streams_[1 + 2 * j];
    const Stream& data = streams_[2 + 2 * j];
    if (from_order[j]) {
      plain_.push_back(static_cast<char>(kFromOrder));
      continue;
    }
    if (!differs[j]) {
      plain_.push_back(static_cast<char>(kConstant));
      PutVarint64(&plain_, first_len[j]);
    } else {
      plain_.push_back(static_cast<char>(kLengths));
      PutVarint64(&plain_, lens.size);
      plain_.append(lens.view());
    }
    PutVarint64(&plain_, data.size);
    plain_.append(data.view());
  }
  return true;
}

void SpillBlockEncoder::Encode(std::string_view data, bool records, std::string* out) {
  SpillLayout layout = SpillLayout::kBytes;
  std::string_view plain = data;
  if (records && options_.columnar && !data.empty() && EncodeColumnar(data)) {
    layout = SpillLayout::kColumnar;
    plain = plain_;
  }
  SpillCodec codec = options_.codec;
  size_t stored = 0;
  size_t bound = plain.size();
  if (codec == SpillCodec::kLz4) bound = static_cast<size_t>(LZ4_compressBound(static_cast<int>(plain.size())));
  if (codec == SpillCodec::kZstd) bound = ZSTD_compressBound(plain.size());
  out->resize(kSpillBlockHeaderSize + std::max(bound, plain.size()));
  char* dst = out->data() + kSpillBlockHeaderSize;
  if (codec == SpillCodec::kLz4 && !plain.empty()) {
    if (lz4_state_ == nullptr) lz4_state_ = std::malloc(static_cast<size_t>(LZ4_sizeofState()));
    const int n = LZ4_compress_fast_extState(lz4_state_, plain.data(), dst, static_cast<int>(plain.size()),
                                             static_cast<int>(bound), std::max(1, options_.level));
    stored = n > 0 ? static_cast<size_t>(n) : plain.size();
    if (n <= 0) codec = SpillCodec::kNone;
  } else if (codec == SpillCodec::kZstd && !plain.empty()) {
    if (zstd_ == nullptr) zstd_ = ZSTD_createCCtx();
    auto* cctx = static_cast<ZSTD_CCtx*>(zstd_);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, options_.level);
    const size_t n = ZSTD_compress2(cctx, dst, bound, plain.data(), plain.size());
    stored = ZSTD_isError(n) ? plain.size() : n;
    if (ZSTD_isError(n)) codec = SpillCodec::kNone;
  } else {
    codec = SpillCodec::kNone;
  }
  if (codec != SpillCodec::kNone && stored >= plain.size()) codec = SpillCodec::kNone;  // did not pay
  if (codec == SpillCodec::kNone) {
    stored = plain.size();
    if (!plain.empty()) std::memcpy(dst, plain.data(), plain.size());
  }
  out->resize(kSpillBlockHeaderSize + stored);
  char* h = out->data();
  EncodeFixed32(h, kSpillBlockMagic);
  h[4] = static_cast<char>(codec);
  h[5] = static_cast<char>(layout);
  h[6] = h[7] = 0;
  EncodeFixed32(h + 8, static_cast<uint32_t>(stored));
  EncodeFixed32(h + 12, static_cast<uint32_t>(plain.size()));
  EncodeFixed32(h + 16, static_cast<uint32_t>(data.size()));
  EncodeFixed64(h + 20, SpillBlockCheck(h, std::string_view(h + kSpillBlockHeaderSize, stored)));
}

SpillBlockDecoder::SpillBlockDecoder() = default;

SpillBlockDecoder::~SpillBlockDecoder() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(zstd_)); }

namespace {

// A column's lengths while decoding the columnar layout.
struct ColumnCursor {
  uint8_t kind = kLengths;
  uint64_t constant = 0;
  const char* lens = nullptr;
  const char* lens_end = nullptr;
  const char* data = nullptr;
  const char* data_end = nullptr;
};

const char* ReadColumn(const char** p, const char* end, bool payload, ColumnCursor* col) {
  if (*p >= end) return "truncated column directory";
  col->kind = static_cast<uint8_t>(*(*p)++);
  uint64_t bytes = 0;
  switch (col->kind) {
    case kFromOrder:
      if (!payload) return "bad column kind";
      return nullptr;
    case kConstant:
      if (!ReadVarint(p, end, &col->constant)) return "truncated column directory";
      break;
    case kLengths:
      if (!ReadVarint(p, end, &bytes) || bytes > static_cast<uint64_t>(end - *p)) return "truncated column lengths";
      col->lens = *p;
      col->lens_end = *p + bytes;
      *p += bytes;
      break;
    default: return "bad column kind";
  }
  if (!ReadVarint(p, end, &bytes) || bytes > static_cast<uint64_t>(end - *p)) return "truncated column data";
  col->data = *p;
  col->data_end = *p + bytes;
  *p += bytes;
  return nullptr;
}

inline bool NextLength(ColumnCursor* col, uint64_t* len) {
  if (col->kind == kConstant) {
    *len = col->constant;
    return true;
  }
  return ReadVarint(&col->lens, col->lens_end, len);
}

const char* DecodeColumnar(std::string_view plain, char* dst, size_t raw) {
  const char* p = plain.data();
  const char* const end = p + plain.size();
  uint64_t n = 0, c = 0, order_bytes = 0;
  if (!ReadVarint(&p, end, &n) || !ReadVarint(&p, end, &c) || c > (uint64_t{1} << 20)) return "bad columnar header";
  if (!ReadVarint(&p, end, &order_bytes) || order_bytes > static_cast<uint64_t>(end - p)) return "truncated orders";
  const char* orders = p;
  const char* const orders_end = p + order_bytes;
  p = orders_end;
  std::vector<ColumnCursor> cols(c + 1);
  if (n > 0) {
    for (size_t j = 0; j <= c; ++j)
      if (const char* e = ReadColumn(&p, end, j > 0, &cols[j])) return e;
  }
  if (p != end) return "bytes after the last column";
  char* out = dst;
  char* const out_end = dst + raw;
  uint64_t order = 0;
  char order_segment[kMaxVarint64Length];
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta = 0, key_len = 0;
    if (!ReadVarint(&orders, orders_end, &delta)) return "truncated orders";
    order += static_cast<uint64_t>(UnZigZag(delta));
    ColumnCursor& k = cols[0];
    if (!NextLength(&k, &key_len) || key_len > static_cast<uint64_t>(k.data_end - k.data)) return "truncated keys";
    if (key_len > UINT32_MAX ||
        static_cast<uint64_t>(out_end - out) < kRecordFixedHeaderSize + VarintLength(key_len) + key_len)
      return "records overrun the block";
    char* rec = out;
    out = StartRecordHeader(rec, order, static_cast<uint32_t>(key_len));
    out = CopySmall(out, k.data, key_len);
    k.data += key_len;
    for (size_t j = 1; j <= c; ++j) {
      ColumnCursor& col = cols[j];
      const char* seg;
      uint64_t len = 0;
      if (col.kind == kFromOrder) {
        len = OrderSegment(order, order_segment);
        seg = order_segment;
      } else {
        if (!NextLength(&col, &len) || len > static_cast<uint64_t>(col.data_end - col.data))
          return "truncated column data";
        seg = col.data;
        col.data += len;
      }
      if (static_cast<uint64_t>(out_end - out) < VarintLength(len) + len) return "records overrun the block";
      out = EncodeVarint64(out, len);
      out = CopySmall(out, seg, len);
    }
    FinishRecordHeader(rec, out);
  }
  if (orders != orders_end) return "orders left over";
  for (const ColumnCursor& col : cols) {
    if (n == 0) break;
    if (col.kind == kFromOrder) continue;
    if (col.data != col.data_end || (col.kind == kLengths && col.lens != col.lens_end)) return "column data left over";
  }
  if (out != out_end) return "records do not fill the block";
  return nullptr;
}

}  // namespace

const char* SpillBlockDecoder::Decode(const SpillBlockHeader& h, std::string_view stored, char* dst) {
  if (stored.size() != h.stored) return "block data size mismatch";
  std::string_view plain = stored;
  if (h.codec != SpillCodec::kNone) {
    char* target;
    if (h.layout == SpillLayout::kBytes) {
      target = dst;
    } else {
      if (plain_.size() < h.plain) plain_.resize(h.plain);
      target = plain_.data();
    }
    if (h.codec == SpillCodec::kLz4) {
      const int n =
          LZ4_decompress_safe(stored.data(), target, static_cast<int>(stored.size()), static_cast<int>(h.plain));
      if (n < 0 || static_cast<uint32_t>(n) != h.plain) return "LZ4 data damaged";
    } else {
      if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
      const size_t n =
          ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(zstd_), target, h.plain, stored.data(), stored.size());
      if (ZSTD_isError(n) || n != h.plain) return "zstd data damaged";
    }
    plain = std::string_view(target, h.plain);
  }
  if (h.layout == SpillLayout::kBytes) {
    if (plain.data() != dst && !plain.empty()) std::memcpy(dst, plain.data(), plain.size());
    return nullptr;
  }
  return DecodeColumnar(plain, dst, h.raw);
}

}  // namespace proberows
