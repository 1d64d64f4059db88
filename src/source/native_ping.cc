#include "source/native_ping.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "example/segment.h"
#include "group/record.h"
#include "source/decode_file.h"
#include "source/key_codec.h"
#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows {

namespace {

namespace dom = simdjson::dom;

constexpr char kPreset[] = "ripe-atlas-ping";
// NULL floats become this quiet NaN, as in RowConverter.
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Byte ranges the threads take in turn.
constexpr uint64_t kRangeBytes = 16u << 20;

// ---- the preset's output columns (presets.cc NativeCommon + NativePing)
enum Col {
  kPrbId,
  kTimestamp,
  kMsmId,
  kFw,
  kAf,
  kDstAddr,
  kDstName,
  kSrcAddr,
  kFrom,
  kSize,
  kLts,
  kProto,
  kSent,
  kRcvd,
  kDup,
  kTtl,
  kMin,
  kAvg,
  kMax,
  kRtt,
  kColCount
};
struct ColInfo {
  const char* name;
  const char* type;  // as DuckDB types the preset's column
};
constexpr ColInfo kCols[kColCount] = {
    {"prb_id", "BIGINT"},    {"timestamp", "BIGINT"}, {"msm_id", "BIGINT"},    {"fw", "BIGINT"},    {"af", "BIGINT"},
    {"dst_addr", "VARCHAR"}, {"dst_name", "VARCHAR"}, {"src_addr", "VARCHAR"}, {"from", "VARCHAR"}, {"size", "BIGINT"},
    {"lts", "BIGINT"},       {"proto", "VARCHAR"},    {"sent", "BIGINT"},      {"rcvd", "BIGINT"},  {"dup", "BIGINT"},
    {"ttl", "BIGINT"},       {"min", "DOUBLE"},       {"avg", "DOUBLE"},       {"max", "DOUBLE"},   {"rtt", "DOUBLE[]"},
};

// ---- the raw fields read (the preset's json_columns)
enum Raw {
  rFw,
  rPrbId,
  rMsmId,
  rTimestamp,
  rAf,
  rSize,
  rLts,
  rTtl,
  rSent,
  rRcvd,
  rDup,
  rMin,
  rAvg,
  rMax,
  kNumCount,  // the numbers above (read as DOUBLE), the strings below
  rMode = kNumCount,
  rProto,
  rDstAddr,
  rAddr,
  rDstName,
  rName,
  rSrcAddr,
  rSrcaddr,
  rFrom,
  rType,
  rResult,
  kRawCount
};
// The raw field of a key, or -1 for a field the preset does not read.
int RawIndex(std::string_view k) {
  switch (k.size()) {
    case 2:
      if (k == "fw") return rFw;
      if (k == "af") return rAf;
      return -1;
    case 3:
      if (k == "lts") return rLts;
      if (k == "ttl") return rTtl;
      if (k == "dup") return rDup;
      if (k == "min") return rMin;
      if (k == "avg") return rAvg;
      if (k == "max") return rMax;
      return -1;
    case 4:
      if (k == "size") return rSize;
      if (k == "sent") return rSent;
      if (k == "rcvd") return rRcvd;
      if (k == "mode") return rMode;
      if (k == "addr") return rAddr;
      if (k == "name") return rName;
      if (k == "from") return rFrom;
      if (k == "type") return rType;
      return -1;
    case 5:
      if (k == "proto") return rProto;
      return -1;
    case 6:
      if (k == "prb_id") return rPrbId;
      if (k == "msm_id") return rMsmId;
      if (k == "result") return rResult;
      return -1;
    case 7:
      if (k == "srcaddr") return rSrcaddr;
      return -1;
    case 8:
      if (k == "dst_addr") return rDstAddr;
      if (k == "dst_name") return rDstName;
      if (k == "src_addr") return rSrcAddr;
      return -1;
    case 9:
      if (k == "timestamp") return rTimestamp;
      return -1;
    default: return -1;
  }
}

const char* RawName(int r) {
  static constexpr const char* kNames[kRawCount] = {
      "fw",       "prb_id", "msm_id",   "timestamp", "af",   "size", "lts",   "ttl",      "sent",
      "rcvd",     "dup",    "min",      "avg",       "max",  "mode", "proto", "dst_addr", "addr",
      "dst_name", "name",   "src_addr", "srcaddr",   "from", "type", "result"};
  return kNames[r];
}

// A value that stops the scan: `message` is complete but for the file and
// line, added by the scan. `preset`: one of the preset's own errors (worded
// as the DuckDB path words them, the file and line appended); `converter`:
// one of RowConverter's (a NULL key...), returned exactly as RowConverter
// words it, so that the map stage reports it as it does on the DuckDB path.
struct LineError {
  std::string message;
  bool preset = false;
  bool converter = false;
};

// A JSON number or numeric string read as DuckDB reads a DOUBLE column:
// numbers, numeric strings, true/false as 1/0; null as NULL.
struct Num {
  double v = 0;
  bool valid = false;
};

struct PingValues {
  Num num[kNumCount];
  std::string_view str[kRawCount - kNumCount - 1];  // mode .. type
  bool str_valid[kRawCount - kNumCount - 1] = {};
  std::vector<double> rtt;  // NaN = NULL
};

// "-12.5e3": the numeric strings the native reader reads (DuckDB's cast
// takes more, e.g. " 12", "inf": those are refused, never read differently).
bool ParseNumericString(std::string_view s, double* out) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  const size_t int_begin = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_begin) return false;
  // DuckDB refuses "01", "00.5" (and takes "-01"): a leading zero is refused.
  if (s[int_begin] == '0' && i - int_begin > 1) return false;
  if (i < n && s[i] == '.') {
    const size_t f = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == f) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t e = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == e) return false;
  }
  if (i != n) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + n, *out);
  return ec == std::errc() && end == s.data() + n && std::isfinite(*out);
}

// A DOUBLE as DuckDB's CAST(... AS VARCHAR) writes it (the preset's error
// messages): the shortest form, ".0" after an integral value ("1e+16" and
// "2.5" as they are).
std::string DuckDbDouble(double v) {
  std::string s = fmt::format("{}", v);
  if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string_view JsonTypeName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

LineError Unsupported(const std::string& field, std::string_view what) {
  return LineError{
      fmt::format("field '{}' holds {}, which --json-reader native does not read (use --json-reader "
                  "duckdb)",
                  field, what)};
}

// Reads `v` as DuckDB reads a DOUBLE column.
bool ReadNum(dom::element v, const char* field, Num* out, LineError* err) {
  switch (v.type()) {
    case dom::element_type::NULL_VALUE: out->valid = false; return true;
    case dom::element_type::DOUBLE: out->v = v.get_double().value_unsafe(); break;
    case dom::element_type::INT64: out->v = static_cast<double>(v.get_int64().value_unsafe()); break;
    case dom::element_type::UINT64: out->v = static_cast<double>(v.get_uint64().value_unsafe()); break;
    case dom::element_type::BOOL: out->v = v.get_bool().value_unsafe() ? 1 : 0; break;
    case dom::element_type::STRING: {
      const std::string_view s = v.get_string().value_unsafe();
      if (!ParseNumericString(s, &out->v)) {
        // Without a digit it is no number to either reader; otherwise
        // DuckDB's cast may read a form ours does not (" 1", "0x10").
        *err = s.find_first_of("0123456789") == std::string_view::npos
                   ? LineError{fmt::format("field '{}' holds the string \"{}\", which is not a number", field, s)}
                   : Unsupported(field, fmt::format("the string \"{}\" (not a plain decimal number)", s));
        return false;
      }
      break;
    }
    default: *err = Unsupported(field, JsonTypeName(v.type())); return false;
  }
  out->valid = true;
  return true;
}

// Reads `v` as DuckDB reads a VARCHAR column (strings and null only).
bool ReadStr(dom::element v, const char* field, std::string_view* out, bool* valid, LineError* err) {
  if (v.type() == dom::element_type::NULL_VALUE) {
    *valid = false;
    return true;
  }
  if (v.type() != dom::element_type::STRING) {
    *err = Unsupported(field, std::string(JsonTypeName(v.type())) + " (the DuckDB reader would read it as text)");
    return false;
  }
  *out = v.get_string().value_unsafe();
  *valid = true;
  return true;
}

// `result`: the RTT of each packet sent, duplicate replies dropped; a
// timeout {"x": "*"} or an error {"error": ...} is NaN. (x and error are
// read as VARCHAR: whatever they hold, only whether it is null counts.)
bool ReadResult(dom::element v, std::vector<double>* rtt, LineError* err) {
  rtt->clear();
  if (v.type() == dom::element_type::NULL_VALUE) return true;
  if (v.type() != dom::element_type::ARRAY) {
    *err = Unsupported("result", JsonTypeName(v.type()));
    return false;
  }
  dom::array elements;
  if (v.get_array().get(elements) != simdjson::SUCCESS) return false;
  for (dom::element e : elements) {
    if (e.type() == dom::element_type::NULL_VALUE) {
      rtt->push_back(kNaN);
      continue;
    }
    if (e.type() != dom::element_type::OBJECT) {
      *err = Unsupported("result", "an element that is " + std::string(JsonTypeName(e.type())));
      return false;
    }
    Num r, dup;
    bool x = false, error = false;
    unsigned seen = 0;
    dom::object fields;
    if (e.get_object().get(fields) != simdjson::SUCCESS) return false;
    for (dom::key_value_pair field : fields) {
      const std::string_view key = field.key;
      const int which = key == "rtt" ? 0 : key == "x" ? 1 : key == "dup" ? 2 : key == "error" ? 3 : -1;
      if (which < 0) continue;
      if (seen & (1u << which)) {
        *err = Unsupported(fmt::format("result.{}", key), "a second value (the key appears twice)");
        return false;
      }
      seen |= 1u << which;
      switch (which) {
        case 0:
          if (!ReadNum(field.value, "result.rtt", &r, err)) return false;
          break;
        case 1: x = field.value.type() != dom::element_type::NULL_VALUE; break;
        case 2:
          if (!ReadNum(field.value, "result.dup", &dup, err)) return false;
          break;
        default: error = field.value.type() != dom::element_type::NULL_VALUE; break;
      }
    }
    if (dup.valid && dup.v != 0) continue;
    rtt->push_back(x || error || !r.valid ? kNaN : r.v);
  }
  return true;
}

// Parses one line (a JSON object; `capacity` bytes readable from `data`,
// at least len + SIMDJSON_PADDING) into `out`.
bool ReadLine(dom::parser* parser, const char* data, size_t len, PingValues* out, LineError* err) {
  for (Num& n : out->num) n.valid = false;
  for (bool& b : out->str_valid) b = false;
  out->rtt.clear();
  dom::element doc;
  if (auto e = parser->parse(data, len, false).get(doc); e) {
    *err = LineError{fmt::format("malformed JSON ({}); --json-reader native reads one JSON object per line",
                                 simdjson::error_message(e))};
    return false;
  }
  if (doc.type() != dom::element_type::OBJECT) {
    *err = LineError{fmt::format("{}, not a JSON object; --json-reader native reads one JSON object per line",
                                 JsonTypeName(doc.type()))};
    return false;
  }
  uint32_t seen = 0;
  dom::object fields;
  if (doc.get_object().get(fields) != simdjson::SUCCESS) return false;
  for (dom::key_value_pair field : fields) {
    const int r = RawIndex(field.key);
    if (r < 0) continue;
    if (seen & (1u << r)) {
      *err = Unsupported(RawName(r), "a second value (the key appears twice)");
      return false;
    }
    seen |= 1u << r;
    bool ok;
    if (r < kNumCount) {
      ok = ReadNum(field.value, RawName(r), &out->num[r], err);
    } else if (r == rResult) {
      ok = ReadResult(field.value, &out->rtt, err);
    } else {
      ok = ReadStr(field.value, RawName(r), &out->str[r - kNumCount], &out->str_valid[r - kNumCount], err);
    }
    if (!ok) return false;
  }
  return true;
}

// One output value of the preset.
struct Value {
  int64_t i = 0;
  double d = 0;
  std::string_view s = {};
  bool null = false;
};

// What RowConverter needs of one schema column.
struct ColumnMap {
  Col col;
  PhysicalType physical;
  std::string name;
};

class PingConverter {
 public:
  PingConverter(const SourceSchema& schema, const std::vector<ColumnMap>& map, uint64_t seed)
      : schema_(schema), map_(map), seed_(seed) {}

  // Converts one line's values; a problem is a LineError.
  bool Convert(PingValues& in, RecordSink* sink, absl::Status* sink_error, LineError* err) {
    if (!Compute(in, err)) return false;
    const ColumnMap& key_col = map_[0];
    const Value& kv = out_[key_col.col];
    std::string_view key;
    uint64_t hash;
    char int_key[kIntKeySize];
    if (kv.null) {
      *err = LineError{fmt::format("key column '{}' is NULL", key_col.name), false, true};
      return false;
    }
    if (schema_.key_is_string) {
      key = kv.s;
      hash = HashStringKey(key, seed_);
    } else {
      EncodeIntKey(kv.i, int_key);
      key = std::string_view(int_key, kIntKeySize);
      hash = HashIntKey(kv.i, seed_);
    }
    const auto key_text = [&] { return RenderKey(schema_.key_is_string, key); };
    const ColumnMap& order_col = map_[static_cast<size_t>(schema_.order_index)];
    const Value& ov = out_[order_col.col];
    if (ov.null) {
      *err = LineError{fmt::format("order column '{}' is NULL for key {}", order_col.name, key_text()), false, true};
      return false;
    }
    uint64_t order;
    if (order_col.physical == PhysicalType::kInt64) {
      order = SortableInt64(ov.i);
    } else {
      if (std::isnan(ov.d)) {
        *err = LineError{fmt::format("order column '{}' is NaN for key {}", order_col.name, key_text()), false, true};
        return false;
      }
      order = SortableDouble(ov.d);
    }
    record_.resize(kRecordMaxHeaderSize + key.size());
    char* p = StartRecordHeader(record_.data(), order, static_cast<uint32_t>(key.size()));
    std::memcpy(p, key.data(), key.size());
    record_.resize(static_cast<size_t>(p - record_.data()) + key.size());
    for (size_t c = 1; c < map_.size(); ++c) {
      const ColumnMap& m = map_[c];
      const Value& v = out_[m.col];
      switch (m.physical) {
        case PhysicalType::kInt64:
          if (v.null) {
            *err = LineError{
                fmt::format(
                    "column '{}' is NULL for key {} (NULL is only allowed in float columns, where it becomes NaN)",
                    m.name, key_text()),
                false, true};
            return false;
          }
          record_.push_back(static_cast<char>(Int64SegmentLength(v.i)));
          AppendInt64Segment(&record_, v.i);
          break;
        case PhysicalType::kDouble:
          record_.push_back(static_cast<char>(kFloatSegmentLength));
          AppendFloatSegment(&record_, static_cast<float>(v.null ? kNaN : v.d));
          break;
        case PhysicalType::kString:
          PutVarint64(&record_, BytesSegmentLength(v.s.size()));
          AppendBytesSegment(&record_, v.s);
          break;
        default: {  // kListDouble: rtt
          const uint64_t n = rtt_->size();
          PutVarint64(&record_, VarintLength(n) + kFloatSegmentLength * n);
          PutVarint64(&record_, n);
          for (double d : *rtt_) AppendFloatSegment(&record_, static_cast<float>(d));
          break;
        }
      }
    }
    FinishRecordHeader(record_.data(), record_.data() + record_.size());
    *sink_error = sink->Add(hash, record_);
    return true;
  }

 private:
  // The preset's columns of one result (presets.cc, column by column).
  bool Compute(PingValues& in, LineError* err) {
    const auto num = [&](Raw r) -> const Num& { return in.num[r]; };
    const auto str = [&](Raw r) -> std::string_view { return in.str[r - kNumCount]; };
    const auto has = [&](Raw r) { return in.str_valid[r - kNumCount]; };
    // CAST(TRY_CAST(r.prb_id AS BIGINT) AS VARCHAR), for messages.
    const auto probe = [&]() -> std::string {
      const Num& p = num(rPrbId);
      if (!p.valid || !(std::fabs(p.v) < 9.2e18)) return "NULL";
      return fmt::format("{}", static_cast<int64_t>(std::nearbyint(p.v)));
    };
    // Sql::Int: an integral value below 2^53, else the preset's error.
    const auto integer = [&](Raw r, Value* out) {
      const Num& n = num(r);
      out->null = !n.valid;
      if (!n.valid) return true;
      if (n.v == std::trunc(n.v) && std::fabs(n.v) < 9007199254740992.0) {
        out->i = static_cast<int64_t>(n.v);
        return true;
      }
      *err = LineError{fmt::format("--preset {}: field '{}' holds {}, which is not an integer (prb_id {})", kPreset,
                                   RawName(r), DuckDbDouble(n.v), probe()),
                       true};
      return false;
    };
    const auto integer_or = [&](Raw r, int64_t fallback, Value* out) {
      if (!integer(r, out)) return false;
      if (out->null) out->i = fallback, out->null = false;
      return true;
    };
    const auto coalesce = [&](std::initializer_list<Raw> raws, std::string_view fallback, Value* out) {
      *out = Value{};
      for (Raw r : raws) {
        if (has(r)) {
          out->s = str(r);
          return;
        }
      }
      out->s = fallback;
    };

    // prb_id, after the type check (KeyOfType).
    if (has(rType) && str(rType) != "ping") {
      const std::string_view t = str(rType);
      *err = LineError{
          fmt::format("--preset {} reads RIPE Atlas results of type 'ping'; the input holds a result of type '{}' "
                      "(prb_id {}){} (a file mixing types must be split by type first)",
                      kPreset, t, probe(),
                      t == "traceroute" ? "; use --preset ripe-atlas-traceroute for them" : "; no preset reads them"),
          true};
      return false;
    }
    if (!integer(rPrbId, &out_[kPrbId])) return false;
    // timestamp: Sql::Seconds, 0 <= t < 2^32 as CAST(round(t * 1000000) AS BIGINT).
    {
      const Num& t = num(rTimestamp);
      Value& v = out_[kTimestamp];
      v = Value{};
      v.null = !t.valid;
      if (t.valid) {
        if (!(t.v >= 0 && t.v < 4294967296.0)) {
          *err = LineError{fmt::format("--preset {}: field 'timestamp' holds {}, which is not a time in seconds since "
                                       "1970 (0 to 4294967295) (prb_id {})",
                                       kPreset, DuckDbDouble(t.v), probe()),
                           true};
          return false;
        }
        v.i = static_cast<int64_t>(std::round(t.v * 1000000));
      }
    }
    if (!integer(rMsmId, &out_[kMsmId])) return false;
    if (!integer_or(rFw, -1, &out_[kFw])) return false;
    // af: the field; else mode ICMP4/ICMP6 (firmware 4400); else the address.
    {
      if (!integer(rAf, &out_[kAf])) return false;
      if (out_[kAf].null) {
        int64_t af;
        if (has(rMode) && str(rMode).ends_with('6')) {
          af = 6;
        } else if (has(rMode) && str(rMode).ends_with('4')) {
          af = 4;
        } else {
          const std::string_view a = has(rDstAddr) ? str(rDstAddr) : has(rAddr) ? str(rAddr) : std::string_view();
          af = a.find(':') != std::string_view::npos ? 6 : 4;
        }
        out_[kAf].i = af, out_[kAf].null = false;
      }
    }
    coalesce({rDstAddr, rAddr}, "", &out_[kDstAddr]);
    coalesce({rDstName, rName}, "", &out_[kDstName]);
    coalesce({rSrcAddr, rSrcaddr}, "", &out_[kSrcAddr]);
    coalesce({rFrom}, "", &out_[kFrom]);
    if (!integer_or(rSize, -1, &out_[kSize])) return false;
    if (!integer_or(rLts, -1, &out_[kLts])) return false;
    coalesce({rProto}, "ICMP", &out_[kProto]);
    if (!integer_or(rSent, -1, &out_[kSent])) return false;
    if (!integer_or(rRcvd, -1, &out_[kRcvd])) return false;
    if (!integer_or(rDup, 0, &out_[kDup])) return false;
    if (!integer_or(rTtl, -1, &out_[kTtl])) return false;
    // min/avg/max: NULL when -1 or when nothing came back.
    const Num& rcvd = num(rRcvd);
    for (const auto& [col, raw] : {std::pair{kMin, rMin}, std::pair{kAvg, rAvg}, std::pair{kMax, rMax}}) {
      const Num& n = num(raw);
      Value& v = out_[col];
      v = Value{};
      v.null = !n.valid || n.v == -1 || (rcvd.valid && rcvd.v == 0);
      v.d = n.v;
    }
    rtt_ = &in.rtt;
    return true;
  }

  const SourceSchema& schema_;
  const std::vector<ColumnMap>& map_;
  const uint64_t seed_;
  Value out_[kColCount];
  const std::vector<double>* rtt_ = nullptr;
  std::string record_;
};

// A byte range of a file: the lines that start in [begin, end).
// A compressed file is one range, read whole (`compressed`).
struct Range {
  size_t file;
  uint64_t begin, end;
  bool compressed = false;
};

// A byte buffer that grows without zero-filling (a range is read into it
// whole: 16 MiB per range), with simdjson's padding allocated after size().
class ReadBuffer {
 public:
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Makes room for `n` more bytes plus the padding; returns where they go.
  char* Extend(size_t n) {
    const size_t need = size_ + n + simdjson::SIMDJSON_PADDING;
    if (need > capacity_) {
      const size_t capacity = std::max(need, 2 * capacity_);
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
      if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
      data_ = std::move(bigger);
      capacity_ = capacity;
    }
    return data_.get() + size_;
  }
  void Grow(size_t n) { size_ += n; }
  // Zeroes the padding after size().
  void Pad() { std::memset(Extend(0), 0, simdjson::SIMDJSON_PADDING); }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Passes the whole lines of `buf` (with `last`, the rest too) to
// `read(line, length)` while `more()` holds, numbering them on from
// *line_no, and keeps the bytes not passed at the start of `buf`.
template <typename More, typename Read>
void TakeLines(ReadBuffer* buf, bool last, uint64_t* line_no, More&& more, Read&& read) {
  const size_t size = buf->size();
  buf->Pad();
  size_t pos = 0;
  while (pos < size && more()) {
    const char* line = buf->data() + pos;
    const void* nl = std::memchr(line, '\n', size - pos);
    if (nl == nullptr && !last) break;
    const size_t len = nl == nullptr ? size - pos : static_cast<size_t>(static_cast<const char*>(nl) - line);
    pos += len + 1;
    ++*line_no;
    read(line, len);
  }
  pos = std::min(pos, size);
  if (pos > 0) std::memmove(buf->data(), buf->data() + pos, size - pos);
  buf->clear();
  buf->Grow(size - pos);
}

class FileReader {
 public:
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const std::string& path) {
    if (path == path_ && fd_ >= 0) return absl::OkStatus();
    if (fd_ >= 0) ::close(fd_);
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return absl::NotFoundError(fmt::format("cannot open input file '{}': {}", path, std::strerror(errno)));
    return absl::OkStatus();
  }
  // Appends up to `n` bytes at `offset` to `buf` (its size grows by the bytes
  // read, with simdjson's padding allocated beyond); returns the count.
  absl::StatusOr<size_t> Append(uint64_t offset, size_t n, ReadBuffer* buf) {
    char* dst = buf->Extend(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, dst + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return absl::DataLossError(fmt::format("reading input file '{}': {}", path_, std::strerror(errno)));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    buf->Grow(got);
    return got;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// The 1-based line of byte `offset` of `path` (for messages).
uint64_t LineAt(const std::string& path, uint64_t offset) {
  FileReader r;
  if (!r.Open(path).ok()) return 0;
  uint64_t line = 1;
  ReadBuffer buf;
  for (uint64_t at = 0; at < offset;) {
    buf.clear();
    absl::StatusOr<size_t> got = r.Append(at, static_cast<size_t>(std::min<uint64_t>(offset - at, 1 << 20)), &buf);
    if (!got.ok() || *got == 0) break;
    line += static_cast<uint64_t>(std::count(buf.data(), buf.data() + buf.size(), '\n'));
    at += *got;
  }
  return line;
}

struct ScanShared {
  const SourceSchema* schema;
  const std::vector<std::string>* files;
  const ParallelScanOptions* options;
  ScanSinks* sinks;
  std::vector<ColumnMap> map;
  std::vector<Range> ranges;
  std::atomic<size_t> next{0};
  // Fewer compressed files than threads: each file decodes on a thread of
  // its own, overlapping its parsing, a .bz2 file's blocks on
  // `decode_threads` threads (the threads left idle otherwise, shared).
  bool overlap = false;
  int decode_threads = 1;
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> rows{0};
  std::mutex mu;
  absl::Status error;  // guarded by mu
  int sinks_made = 0;  // guarded by mu

  void Fail(absl::Status st) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.ok()) error = std::move(st);
    failed.store(true);
  }
};

// One thread's reader of lines: the parser, the converter and the sink
// made for the thread at its first record.
class LineReader {
 public:
  explicit LineReader(ScanShared* s) : s_(s), converter_(*s->schema, s->map, s->options->seed) {}

  // Reads one line of `path` (`len` bytes at `line`, SIMDJSON_PADDING
  // readable after them; `first_line`: the file's first). Its number is
  // `line_no`, or when 0 the line of byte `offset` of the plain file.
  absl::Status Read(const char* line, size_t len, bool first_line, const std::string& path, uint64_t line_no,
                    uint64_t offset) {
    // A UTF-8 byte order mark before the first line: skipped, as DuckDB does.
    if (first_line && len >= 3 && std::memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
      line += 3;
      len -= 3;
    }
    size_t b = 0;
    while (b < len && (line[b] == ' ' || line[b] == '\t' || line[b] == '\r')) ++b;
    if (b == len) return absl::OkStatus();  // a blank line
    if (b == 0 && line[0] == '[' && first_line) {
      return absl::InvalidArgumentError(
          fmt::format("reading input: file '{}' holds a JSON array; --json-reader native reads JSON lines (one "
                      "result per line); use --json-reader duckdb",
                      path));
    }
    LineError err;
    absl::Status sink_error;
    bool ok = ReadLine(&parser_, line, len, &values_, &err);
    if (ok) {
      if (sink_ == nullptr) {
        std::lock_guard<std::mutex> lock(s_->mu);
        absl::StatusOr<RecordSink*> made = s_->sinks->NewSink(s_->sinks_made++);
        if (!made.ok()) return made.status();
        sink_ = *made;
      }
      ok = converter_.Convert(values_, sink_, &sink_error, &err);
    }
    if (!ok) {
      if (err.converter) return absl::InvalidArgumentError(err.message);
      if (line_no == 0) line_no = LineAt(path, offset);
      return absl::InvalidArgumentError(
          err.preset ? fmt::format("reading input: {} (file '{}', line {})", err.message, path, line_no)
                     : fmt::format("reading input: file '{}', line {}: {}", path, line_no, err.message));
    }
    if (!sink_error.ok()) return sink_error;
    ++rows_;
    return absl::OkStatus();
  }

  // The records read since the last call.
  uint64_t TakeRows() { return std::exchange(rows_, 0); }

 private:
  ScanShared* s_;
  RecordSink* sink_ = nullptr;
  PingConverter converter_;
  dom::parser parser_;
  PingValues values_;
  uint64_t rows_ = 0;
};

// Decoded bytes are read in batches of about this many bytes.
constexpr size_t kBatchBytes = 1u << 20;

// Decoded batches queued between a file's decoder thread and its reader.
constexpr size_t kQueuedBatches = 4;

// Decodes `path` on a thread of its own into batches of about kBatchBytes
// handed to `read` on this one (decoding overlaps parsing). `read` returns
// false after a bad line: the file is then decoded to its end, unread (damage
// found there is the error to report: the bad line may be damaged bytes).
// Returns the decoder's status.
absl::Status ReadOverlapped(const std::string& path, int decode_threads, const std::function<bool()>& stopped,
                            const std::function<bool(const std::string&)>& read) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> queue;  // guarded by mu
  bool done = false;              // guarded by mu: the decoder has finished
  bool discard = false;           // guarded by mu: a bad line was read; decode on, queue nothing
  absl::Status decoded;           // guarded by mu; set before done
  const auto decode = [&] {
    std::string pending;
    pending.reserve(kBatchBytes + (1u << 20));  // a batch and one decoded piece
    const auto push = [&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return queue.size() < kQueuedBatches || discard || stopped(); });
      if (!discard) queue.push_back(std::move(pending));
      pending = std::string();
      pending.reserve(kBatchBytes + (1u << 20));
      cv.notify_all();
    };
    absl::Status st = DecodeCompressedFile(
        path,
        [&](std::string_view bytes) {
          if (stopped()) return false;
          pending.append(bytes);
          if (pending.size() >= kBatchBytes) push();
          return true;
        },
        decode_threads);
    if (st.ok() && !pending.empty()) push();
    std::lock_guard<std::mutex> lock(mu);
    decoded = std::move(st);
    done = true;
    cv.notify_all();
  };
  std::thread decoder;
  try {
    decoder = std::thread(decode);
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start a decoder: {}", path, e.what()));
  }
  bool reading = true;
  for (;;) {
    std::string batch;
    {
      std::unique_lock<std::mutex> lock(mu);
      // Waits at most 100 ms at a time: a failure elsewhere or an interrupt
      // makes the decoder stop, and end.
      while (queue.empty() && !done) cv.wait_for(lock, std::chrono::milliseconds(100));
      if (queue.empty()) break;
      batch = std::move(queue.front());
      queue.pop_front();
      cv.notify_all();
    }
    if (!reading || stopped()) continue;
    if (!read(batch)) {
      reading = false;
      std::lock_guard<std::mutex> lock(mu);
      discard = true;
      queue.clear();
      cv.notify_all();
    }
  }
  decoder.join();
  std::lock_guard<std::mutex> lock(mu);
  return decoded;
}

// Reads a whole compressed file, decoded as it is read: on a thread of its
// own when workers would be idle otherwise (s->overlap; bzip2 decoding is
// the slower side), else on this one.
absl::Status ReadCompressed(ScanShared* s, const std::string& path, LineReader* lines) {
  ReadBuffer buf;
  uint64_t line_no = 0;
  absl::Status line_error;
  const auto count_rows = [&] {
    const uint64_t rows = lines->TakeRows();
    s->rows.fetch_add(rows, std::memory_order_relaxed);
    if (s->options->rows_scanned != nullptr) s->options->rows_scanned->fetch_add(rows, std::memory_order_relaxed);
  };
  // Reads the whole lines of buf (with `last`, the rest too) and keeps the
  // rest at its start.
  const auto read_lines = [&](bool last) {
    TakeLines(
        &buf, last, &line_no, [&] { return line_error.ok(); },
        [&](const char* line, size_t len) { line_error = lines->Read(line, len, line_no == 1, path, line_no, 0); });
    count_rows();
  };
  const auto stopped = [s] {
    return s->failed.load(std::memory_order_relaxed) ||
           (s->options->cancel != nullptr && s->options->cancel->load(std::memory_order_relaxed));
  };

  absl::Status decoded;
  if (!s->overlap) {
    // Every worker decodes a file of its own: decoding and parsing take
    // turns on this thread (more threads than cores would only thrash the
    // decoders' caches).
    decoded = DecodeCompressedFile(path, [&](std::string_view bytes) {
      if (stopped()) return false;
      // After a bad line the file is still decoded to its end: damage found
      // there is the error to report (the bad line may be damaged bytes).
      if (!line_error.ok()) return true;
      std::memcpy(buf.Extend(bytes.size()), bytes.data(), bytes.size());
      buf.Grow(bytes.size());
      if (buf.size() >= kBatchBytes) read_lines(false);
      return true;
    });
  } else {
    decoded = ReadOverlapped(path, s->decode_threads, stopped, [&](const std::string& batch) {
      std::memcpy(buf.Extend(batch.size()), batch.data(), batch.size());
      buf.Grow(batch.size());
      read_lines(false);
      return line_error.ok();
    });
  }
  if (absl::IsCancelled(decoded)) {
    if (s->options->cancel != nullptr && s->options->cancel->load(std::memory_order_relaxed))
      return absl::CancelledError("interrupted; no output was written");
    return decoded;  // another thread failed: its error is reported
  }
  if (!decoded.ok()) return decoded;
  if (line_error.ok()) read_lines(true);
  return line_error;
}
void ScanThread(ScanShared* s) {
  LineReader lines(s);
  FileReader reader;
  ReadBuffer buf;
  for (;;) {
    if (s->failed.load(std::memory_order_relaxed)) return;
    if (s->options->cancel != nullptr && s->options->cancel->load(std::memory_order_relaxed)) {
      s->Fail(absl::CancelledError("interrupted; no output was written"));
      return;
    }
    const size_t index = s->next.fetch_add(1);
    if (index >= s->ranges.size()) return;
    const Range& range = s->ranges[index];
    const std::string& path = (*s->files)[range.file];
    if (range.compressed) {
      if (absl::Status st = ReadCompressed(s, path, &lines); !st.ok()) return s->Fail(st);
      continue;
    }
    if (absl::Status st = reader.Open(path); !st.ok()) return s->Fail(st);
    // Read from one byte before the range: a line starts in it where the
    // byte before is a newline (or at offset 0).
    const uint64_t from = range.begin == 0 ? 0 : range.begin - 1;
    buf.clear();
    absl::StatusOr<size_t> got = reader.Append(from, static_cast<size_t>(range.end - from), &buf);
    if (!got.ok()) return s->Fail(got.status());
    size_t pos = 0;
    if (range.begin > 0) {
      const void* nl = std::memchr(buf.data(), '\n', buf.size());
      if (nl == nullptr) continue;  // no line starts here
      pos = static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    }
    const size_t starts_end = static_cast<size_t>(range.end - from);  // lines starting before this are ours
    if (pos >= starts_end) continue;
    // The last line may end past the range: read on to its newline.
    for (uint64_t at = range.end;;) {
      const size_t tail = buf.size() > 0 && buf.data()[buf.size() - 1] == '\n' ? 0 : 1;
      if (tail == 0) break;
      absl::StatusOr<size_t> more = reader.Append(at, 1 << 16, &buf);
      if (!more.ok()) return s->Fail(more.status());
      if (*more == 0) break;
      at += *more;
      const char* scan = buf.data() + buf.size() - *more;
      if (std::memchr(scan, '\n', *more) != nullptr) break;
    }
    // Padding for simdjson after the last line.
    const size_t size = buf.size();
    buf.Pad();
    while (pos < starts_end && pos < size) {
      const char* line = buf.data() + pos;
      const void* nl = std::memchr(line, '\n', size - pos);
      const size_t len = nl == nullptr ? size - pos : static_cast<size_t>(static_cast<const char*>(nl) - line);
      const size_t line_pos = pos;
      pos += len + 1;
      if (absl::Status st = lines.Read(line, len, from + line_pos == 0, path, 0, from + line_pos); !st.ok())
        return s->Fail(st);
    }
    const uint64_t rows = lines.TakeRows();
    s->rows.fetch_add(rows, std::memory_order_relaxed);
    if (s->options->rows_scanned != nullptr) s->options->rows_scanned->fetch_add(rows, std::memory_order_relaxed);
  }
}

// The preset column of every schema column.
absl::StatusOr<std::vector<ColumnMap>> MapColumns(const SourceSchema& schema) {
  std::vector<ColumnMap> map;
  for (const SourceColumn& c : schema.columns) {
    for (int i = 0; i < kColCount; ++i) {
      if (c.name == kCols[i].name) map.push_back(ColumnMap{static_cast<Col>(i), c.physical, c.name});
    }
  }
  if (map.size() != schema.columns.size())
    return absl::InternalError("--json-reader native: a column is not the preset's");
  return map;
}

// The one sink of NativePingHead.
class OneSink final : public ScanSinks {
 public:
  explicit OneSink(RecordSink* sink) : sink_(sink) {}
  absl::StatusOr<RecordSink*> NewSink(int) override { return sink_; }

 private:
  RecordSink* sink_;
};

}  // namespace

absl::Status CheckNativePing(const BuildOptions& options, const SourceSchema& schema) {
  if (options.preset != kPreset)
    return absl::InvalidArgumentError(
        fmt::format("--json-reader native reads --preset {} input only{}; use --json-reader duckdb", kPreset,
                    options.preset == "ripe-atlas-traceroute" ? " (traceroute: not yet)" : ""));
  if (schema.columns.empty() || schema.order_index < 1)
    return absl::InvalidArgumentError("--json-reader native: the input has no columns");
  for (const SourceColumn& c : schema.columns) {
    const ColInfo* found = nullptr;
    for (const ColInfo& info : kCols)
      if (c.name == info.name) found = &info;
    if (found == nullptr || c.path.size() != 1 || c.input_type != found->type || c.filled || !c.mask_of.empty() ||
        c.strict_int)
      return absl::InvalidArgumentError(
          fmt::format("--json-reader native builds the columns of --preset {} as they are; column '{}' ({}{}) is not "
                      "one of them; use --json-reader duckdb",
                      kPreset, c.name, c.input_type, c.filled ? ", with --fill-null" : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> NativePingScan(const SourceSchema& schema, const std::vector<std::string>& files,
                                        const ParallelScanOptions& options, int threads, ScanSinks* sinks) {
  ScanShared s;
  s.schema = &schema;
  s.files = &files;
  s.options = &options;
  s.sinks = sinks;
  ASSIGN_OR_RETURN(s.map, MapColumns(schema));
  for (size_t f = 0; f < files.size(); ++f) {
    struct stat st;
    if (::stat(files[f].c_str(), &st) != 0)
      return absl::NotFoundError(fmt::format("cannot read input file '{}': {}", files[f], std::strerror(errno)));
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (CompressionOf(files[f]) != Compression::kNone) {
      s.ranges.push_back(Range{f, 0, size, true});
      continue;
    }
    for (uint64_t b = 0; b < size; b += kRangeBytes) s.ranges.push_back(Range{f, b, std::min(size, b + kRangeBytes)});
  }
  // Compressed files (read whole, one thread each) first, the largest first:
  // the byte ranges of plain files fill in around them.
  std::stable_sort(s.ranges.begin(), s.ranges.end(), [](const Range& a, const Range& b) {
    return a.compressed != b.compressed ? a.compressed : a.compressed && a.end > b.end;
  });
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(s.ranges.size())));
  const int compressed =
      static_cast<int>(std::count_if(s.ranges.begin(), s.ranges.end(), [](const Range& r) { return r.compressed; }));
  s.overlap = compressed < threads;
  if (s.overlap) s.decode_threads = std::max(1, threads / std::max(1, compressed));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(ScanThread, &s);
  ScanThread(&s);
  for (std::thread& t : pool) t.join();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.error.ok()) return s.error;
  }
  return s.rows.load();
}

absl::StatusOr<uint64_t> NativePingHead(const SourceSchema& schema, const std::vector<std::string>& files,
                                        uint64_t max_records, uint64_t seed, RecordSink* sink) {
  ParallelScanOptions options;
  options.seed = seed;
  OneSink sinks(sink);
  ScanShared s;
  s.schema = &schema;
  s.files = &files;
  s.options = &options;
  s.sinks = &sinks;
  ASSIGN_OR_RETURN(s.map, MapColumns(schema));
  LineReader lines(&s);
  uint64_t records = 0;
  for (const std::string& path : files) {
    // The file's lines from its start, each read as the scan reads it, until
    // `max_records` are read or the file ends.
    ReadBuffer buf;
    uint64_t line_no = 0;
    absl::Status error;
    const auto read_lines = [&](bool last) {
      TakeLines(
          &buf, last, &line_no, [&] { return error.ok() && records < max_records; },
          [&](const char* line, size_t len) {
            error = lines.Read(line, len, line_no == 1, path, line_no, 0);
            records += lines.TakeRows();
          });
      return error.ok() && records < max_records;
    };
    if (CompressionOf(path) != Compression::kNone) {
      // Decoded only as far as the lines read.
      const absl::Status decoded = DecodeCompressedFile(path, [&](std::string_view bytes) {
        std::memcpy(buf.Extend(bytes.size()), bytes.data(), bytes.size());
        buf.Grow(bytes.size());
        return read_lines(false);
      });
      if (!error.ok()) return error;
      if (absl::IsCancelled(decoded)) return records;  // stopped: enough records
      RETURN_IF_ERROR(decoded);
    } else {
      FileReader reader;
      RETURN_IF_ERROR(reader.Open(path));
      for (uint64_t at = 0;;) {
        ASSIGN_OR_RETURN(const size_t got, reader.Append(at, kBatchBytes, &buf));
        if (got == 0) break;
        at += got;
        if (!read_lines(false)) break;
      }
      if (!error.ok()) return error;
    }
    if (records < max_records) read_lines(true);
    if (!error.ok()) return error;
    if (records >= max_records) break;
  }
  return records;
}

}  // namespace proberows
