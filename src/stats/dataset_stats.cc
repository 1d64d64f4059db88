#include "stats/dataset_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "example/utf8.h"

namespace proberows {

namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

// ------------------------------------------------------------ row parsing

// Reads a varint at p (< end); returns the end of it, or nullptr.
inline const char* ReadVarint(const char* p, const char* end, uint64_t* v) {
  if (p < end && static_cast<unsigned char>(*p) < 0x80) {  // most lengths and small ints
    *v = static_cast<unsigned char>(*p);
    return p + 1;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Reads `tag` then a length-delimited body; returns the body's end (the
// body starts at *body), or nullptr.
inline const char* ReadField(const char* p, const char* end, char tag, const char** body) {
  if (p >= end || *p != tag) return nullptr;
  uint64_t len = 0;
  p = ReadVarint(p + 1, end, &len);
  if (p == nullptr || len > static_cast<uint64_t>(end - p)) return nullptr;
  *body = p;
  return p + len;
}

// std::memcmp(a, b, n) == 0, inlined for the short values of rows (feature
// names, addresses, country codes), where a call into libc costs more than
// the comparison. Reads a[0, n) and b[0, n) only.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  const auto load64 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  const auto load32 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8)
      if (load64(a + i) != load64(b + i)) return false;
    return load64(a + n - 8) == load64(b + n - 8);
  }
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

char ListTag(FeatureType t) {
  switch (t) {
    case FeatureType::kBytes: return 0x0a;
    case FeatureType::kFloat: return 0x12;
    case FeatureType::kInt64: return 0x1a;
  }
  return 0;
}

FeatureType TypeOf(const std::string& dtype) {
  if (dtype == "float32") return FeatureType::kFloat;
  if (dtype == "bytes") return FeatureType::kBytes;
  return FeatureType::kInt64;
}

int64_t SaturatingSpan(int64_t lo, int64_t hi) {
  const __int128 d = static_cast<__int128>(hi) - lo;
  return d > std::numeric_limits<int64_t>::max() ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(d);
}

// ------------------------------------------------------------ JSON helpers

std::string U64(uint64_t v) { return std::to_string(v); }

std::string Int128ToString(__int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

bool ParseInt128(const std::string& s, __int128* out) {
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i >= s.size() || s.size() - i > 39) return false;
  unsigned __int128 u = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    u = u * 10 + static_cast<unsigned>(s[i] - '0');
  }
  if (u > (static_cast<unsigned __int128>(1) << 127)) return false;
  *out = neg ? -static_cast<__int128>(u - 1) - 1 : static_cast<__int128>(u);
  return true;
}

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }
double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

// A proto3 JSON double: a number, or "NaN" / "Infinity" / "-Infinity".
Json DoubleJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

// A proto3 `float` field as MessageToJson writes it: the shortest decimal
// that reads back as the same float32.
double Float32Json(double d) {
  const float f = static_cast<float>(d);
  return std::stod(fmt::format("{}", f));
}

// Sets `key` unless `v` is the proto3 default (0), which MessageToJson omits.
void PutDouble(Json* j, const char* key, double v) {
  if (v != 0 || std::isnan(v)) (*j)[key] = DoubleJson(v);
}
void PutU64(Json* j, const char* key, uint64_t v) {
  if (v != 0) (*j)[key] = U64(v);
}

// A bytes value as a proto3 `string`: as is when valid UTF-8, else with each
// byte outside a valid sequence written as \xNN.
std::string AsUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

Json HistogramJson(const std::vector<HistogramBucket>& buckets, uint64_t nan, uint64_t undefined, bool quantiles) {
  Json h = Json::object();
  Json bs = Json::array();
  for (const HistogramBucket& b : buckets) {
    Json bj = Json::object();
    PutDouble(&bj, "highValue", b.high);
    PutDouble(&bj, "lowValue", b.low);
    PutDouble(&bj, "sampleCount", b.count);
    bs.push_back(bj);
  }
  if (!bs.empty()) h["buckets"] = bs;
  PutU64(&h, "numNan", nan);
  PutU64(&h, "numUndefined", undefined);
  if (quantiles) h["type"] = "QUANTILES";
  return h;
}

template <typename T>
Json HistState(const Pow2Histogram<T>& h) {
  return Json{{"k", h.k()}, {"lo", h.lo()}, {"counts", h.Counts()}};
}

template <typename T>
void RestoreHist(const Json& j, Pow2Histogram<T>* h) {
  if (!h->Restore(j.at("k").get<int>(), j.at("lo").get<int64_t>(), j.at("counts").get<std::vector<uint64_t>>()))
    throw std::runtime_error("inconsistent histogram");
}

Json SumState(const ExactSum& s) {
  Json a = Json::array();
  for (const auto& [i, d] : s.Digits()) a.push_back(Json::array({i, d}));
  return a;
}

void RestoreSum(const Json& j, ExactSum* s) {
  std::vector<std::pair<int, int64_t>> digits;
  for (const Json& d : j) digits.emplace_back(d.at(0).get<int>(), d.at(1).get<int64_t>());
  if (!s->FromDigits(digits)) throw std::runtime_error("inconsistent sum");
}

__int128 Int128At(const Json& j) {
  __int128 v = 0;
  if (!ParseInt128(j.get<std::string>(), &v)) throw std::runtime_error("bad integer");
  return v;
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * s.size());
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Unhex(const std::string& s) {
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error("bad hex");
  };
  if (s.size() % 2 != 0) throw std::runtime_error("bad hex");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) out.push_back(static_cast<char>(digit(s[i]) * 16 + digit(s[i + 1])));
  return out;
}

}  // namespace

// ------------------------------------------------------------ merging

void FeatureStatistics::Merge(const FeatureStatistics& o, FeatureType type) {
  const uint64_t rows = rows_with_values + rows_without_values;
  const uint64_t orows = o.rows_with_values + o.rows_without_values;
  if (orows > 0) {
    min_values = rows == 0 ? o.min_values : std::min(min_values, o.min_values);
    max_values = rows == 0 ? o.max_values : std::max(max_values, o.max_values);
  }
  rows_with_values += o.rows_with_values;
  rows_without_values += o.rows_without_values;
  total_values += o.total_values;
  values_per_row.Merge(o.values_per_row);
  if (type == FeatureType::kBytes) {
    if (o.count > 0) {
      min_bytes = count == 0 ? o.min_bytes : std::min(min_bytes, o.min_bytes);
      max_bytes = count == 0 ? o.max_bytes : std::max(max_bytes, o.max_bytes);
    }
    count += o.count;
    total_bytes += o.total_bytes;
    lengths.Merge(o.lengths);
    top.Merge(o.top);
    return;
  }
  if (o.count > 0) {
    if (count == 0) {
      min = o.min;
      max = o.max;
      int_min = o.int_min;
      int_max = o.int_max;
    } else {
      min = std::min(min, o.min);
      max = std::max(max, o.max);
      int_min = std::min(int_min, o.int_min);
      int_max = std::max(int_max, o.int_max);
    }
  }
  count += o.count;
  nan += o.nan;
  infinite += o.infinite;
  zeros += o.zeros;
  int_sum += o.int_sum;
  float_sum.Merge(o.float_sum);
  float_sumsq.Merge(o.float_sumsq);
  int_hist.Merge(o.int_hist);
  float_hist.Merge(o.float_hist);
}

void RowQuantity::AddInt(int64_t v) {
  int_min = count == 0 ? v : std::min(int_min, v);
  int_max = count == 0 ? v : std::max(int_max, v);
  ++count;
  int_sum += v;
  int_hist.Add(v);
}

void RowQuantity::AddFloat(double v) {
  float_min = count == 0 ? v : std::min(float_min, v);
  float_max = count == 0 ? v : std::max(float_max, v);
  ++count;
  float_sum.Add(v);
  float_hist.Add(v);
}

void RowQuantity::Merge(const RowQuantity& o) {
  if (o.count == 0) return;
  if (count == 0) {
    int_min = o.int_min;
    int_max = o.int_max;
    float_min = o.float_min;
    float_max = o.float_max;
  } else {
    int_min = std::min(int_min, o.int_min);
    int_max = std::max(int_max, o.int_max);
    float_min = std::min(float_min, o.float_min);
    float_max = std::max(float_max, o.float_max);
  }
  count += o.count;
  int_sum += o.int_sum;
  float_sum.Merge(o.float_sum);
  int_hist.Merge(o.int_hist);
  float_hist.Merge(o.float_hist);
}

double RowQuantity::Mean() const {
  if (count == 0) return 0;
  if (is_float) return float_sum.Value() / static_cast<double>(count);
  return static_cast<double>(static_cast<long double>(int_sum) / static_cast<long double>(count));
}

std::vector<HistogramBucket> RowQuantity::Standard(int buckets) const {
  return is_float ? float_hist.Standard(buckets) : int_hist.Standard(buckets);
}

// ------------------------------------------------------------ DatasetStatistics

DatasetStatistics::DatasetStatistics(std::vector<FeatureDescription> features, std::string order_feature)
    : features_(std::move(features)) {
  for (size_t i = 0; i < features_.size(); ++i) {
    const FeatureDescription& f = features_[i];
    types_.push_back(TypeOf(f.dtype));
    std::string key(1, '\x0a');
    uint64_t n = f.name.size();
    while (n >= 0x80) {
      key.push_back(static_cast<char>((n & 0x7f) | 0x80));
      n >>= 7;
    }
    key.push_back(static_cast<char>(n));
    key += f.name;
    entry_keys_.push_back(std::move(key));
    if (!order_feature.empty() && f.name == order_feature && f.kind == "per_measurement" &&
        types_.back() != FeatureType::kBytes) {
      order_index_ = static_cast<int>(i);
      order_is_float_ = types_.back() == FeatureType::kFloat;
    }
  }
  Clear();
}

absl::Status DatasetStatistics::AddFeature(size_t i, const char* p, size_t n, SplitStatistics* s, bool* have_span,
                                           double* span_lo, double* span_hi, int64_t* ispan_lo, int64_t* ispan_hi) {
  FeatureStatistics& f = s->features[i];
  const char* end = p + n;
  uint64_t values = 0;
  switch (types_[i]) {
    case FeatureType::kInt64: {
      const char* body = p;
      if (n > 0 && ReadField(p, end, 0x0a, &body) != end)
        return absl::InternalError(
            fmt::format("statistics: feature '{}' has a malformed int64 list", features_[i].name));
      int64_t mn = std::numeric_limits<int64_t>::max(), mx = std::numeric_limits<int64_t>::min();
      __int128 sum = 0;
      double sumsq = 0;
      uint64_t zeros = 0;
      const char* q = n > 0 ? body : end;
      while (q < end) {
        uint64_t u = 0;
        q = ReadVarint(q, end, &u);
        if (q == nullptr)
          return absl::InternalError(fmt::format("statistics: feature '{}' has a malformed varint", features_[i].name));
        const int64_t v = static_cast<int64_t>(u);
        ++values;
        zeros += v == 0;
        mn = std::min(mn, v);
        mx = std::max(mx, v);
        sum += v;
        const double d = static_cast<double>(v);
        sumsq += d * d;
        f.int_hist.Add(v);
      }
      if (values > 0) {
        if (f.count == 0) {
          f.int_min = mn;
          f.int_max = mx;
        } else {
          f.int_min = std::min(f.int_min, mn);
          f.int_max = std::max(f.int_max, mx);
        }
        f.min = static_cast<double>(f.int_min);
        f.max = static_cast<double>(f.int_max);
        f.count += values;
        f.zeros += zeros;
        f.int_sum += sum;
        f.float_sumsq.Add(sumsq);
        if (static_cast<int>(i) == order_index_) {
          *have_span = true;
          *ispan_lo = mn;
          *ispan_hi = mx;
        }
      }
      break;
    }
    case FeatureType::kFloat: {
      const char* body = p;
      if (n > 0 && (ReadField(p, end, 0x0a, &body) != end || (end - body) % 4 != 0))
        return absl::InternalError(
            fmt::format("statistics: feature '{}' has a malformed float list", features_[i].name));
      const char* q = n > 0 ? body : end;
      // min / max start at +-infinity: std::min(+inf, d) is d for every
      // non-NaN d, of either zero's sign (as mn = d for the first was).
      double sum = 0, sumsq = 0, mn = std::numeric_limits<double>::infinity(), mx = -mn;
      uint64_t finite = 0, nan = 0, inf = 0, zeros = 0;
      values = static_cast<uint64_t>(end - q) / 4;
      for (; q < end; q += 4) {
        float v;
        std::memcpy(&v, q, 4);
        if (std::isnan(v)) [[unlikely]] {
          ++nan;
          continue;
        }
        const double d = v;
        mn = std::min(mn, d);
        mx = std::max(mx, d);
        if (std::isinf(v)) [[unlikely]] {
          ++inf;
          continue;
        }
        ++finite;
        zeros += v == 0;
        sum += d;
        sumsq += d * d;
        f.float_hist.Add(d);
      }
      if (finite + inf > 0) {
        if (f.count == 0) {
          f.min = mn;
          f.max = mx;
        } else {
          f.min = std::min(f.min, mn);
          f.max = std::max(f.max, mx);
        }
        if (static_cast<int>(i) == order_index_ && std::isfinite(mn) && std::isfinite(mx)) {
          *have_span = true;
          *span_lo = mn;
          *span_hi = mx;
        }
      }
      f.count += finite + inf;
      f.nan += nan;
      f.infinite += inf;
      f.zeros += zeros;
      if (finite > 0) {
        f.float_sum.Add(sum);
        f.float_sumsq.Add(sumsq);
      }
      break;
    }
    case FeatureType::kBytes: {
      const char* q = p;
      const char* prev = nullptr;
      size_t prev_len = 0;
      uint64_t run = 0, total = 0, mn = std::numeric_limits<uint64_t>::max(), mx = 0;
      while (q < end) {
        const char* v = nullptr;
        const char* next = ReadField(q, end, 0x0a, &v);
        if (next == nullptr)
          return absl::InternalError(
              fmt::format("statistics: feature '{}' has a malformed bytes list", features_[i].name));
        const size_t len = static_cast<size_t>(next - v);
        ++values;
        mn = std::min<uint64_t>(mn, len);
        mx = std::max<uint64_t>(mx, len);
        total += len;
        f.lengths.Add(static_cast<int64_t>(len));
        // Runs of equal values (a probe's own address, its target) are
        // counted once per run.
        if (prev != nullptr && len == prev_len && BytesEqual(prev, v, len)) {
          ++run;
        } else {
          if (prev != nullptr) f.top.Add(std::string_view(prev, prev_len), run);
          prev = v;
          prev_len = len;
          run = 1;
        }
        q = next;
      }
      if (prev != nullptr) f.top.Add(std::string_view(prev, prev_len), run);
      if (values > 0) {
        f.min_bytes = f.count == 0 ? mn : std::min(f.min_bytes, mn);
        f.max_bytes = f.count == 0 ? mx : std::max(f.max_bytes, mx);
        f.count += values;
        f.total_bytes += total;
      }
      break;
    }
  }
  const uint64_t rows = f.rows_with_values + f.rows_without_values;
  f.min_values = rows == 0 ? values : std::min(f.min_values, values);
  f.max_values = rows == 0 ? values : std::max(f.max_values, values);
  if (values > 0) {
    ++f.rows_with_values;
  } else {
    ++f.rows_without_values;
  }
  f.total_values += values;
  f.values_per_row.Add(static_cast<int64_t>(values));
  return absl::OkStatus();
}

absl::Status DatasetStatistics::AddRow(bool test, std::string_view row, uint32_t measurements) {
  SplitStatistics* s = test ? &test_ : &train_;
  const char* p = row.data();
  const char* end = p + row.size();
  const char* features = nullptr;
  if (ReadField(p, end, 0x0a, &features) != end)
    return absl::InternalError("statistics: a row is not a serialized Example");
  bool have_span = false;
  double span_lo = 0, span_hi = 0;
  int64_t ispan_lo = 0, ispan_hi = 0;
  const char* q = features;
  for (size_t i = 0; i < features_.size(); ++i) {
    const char* entry = nullptr;
    const char* entry_end = ReadField(q, end, 0x0a, &entry);
    const std::string& key = entry_keys_[i];
    if (entry_end == nullptr || static_cast<size_t>(entry_end - entry) < key.size() ||
        !BytesEqual(entry, key.data(), key.size()))
      return absl::InternalError(
          fmt::format("statistics: feature {} of a row is not '{}' as expected", i, features_[i].name));
    const char* feature = nullptr;
    const char* list = nullptr;
    if (ReadField(entry + key.size(), entry_end, 0x12, &feature) != entry_end ||
        ReadField(feature, entry_end, ListTag(types_[i]), &list) != entry_end)
      return absl::InternalError(fmt::format("statistics: feature '{}' of a row is malformed", features_[i].name));
    if (absl::Status st = AddFeature(i, list, static_cast<size_t>(entry_end - list), s, &have_span, &span_lo, &span_hi,
                                     &ispan_lo, &ispan_hi);
        !st.ok())
      return st;
    q = entry_end;
  }
  if (q != end) return absl::InternalError("statistics: a row has more features than expected");
  ++s->rows;
  s->measurements += measurements;
  s->measurements_per_row.AddInt(measurements);
  s->row_bytes.AddInt(static_cast<int64_t>(row.size()));
  if (have_span) {
    if (order_is_float_) {
      s->order_span.AddFloat(span_hi - span_lo);
    } else {
      s->order_span.AddInt(SaturatingSpan(ispan_lo, ispan_hi));
    }
  }
  return absl::OkStatus();
}

void DatasetStatistics::Merge(const DatasetStatistics& other) {
  for (bool test : {true, false}) MergeSplit(test, other.split(test));
}

void DatasetStatistics::MergeSplit(bool test, const SplitStatistics& o) {
  SplitStatistics& s = test ? test_ : train_;
  s.rows += o.rows;
  s.measurements += o.measurements;
  s.measurements_per_row.Merge(o.measurements_per_row);
  s.row_bytes.Merge(o.row_bytes);
  s.order_span.Merge(o.order_span);
  for (size_t i = 0; i < s.features.size() && i < o.features.size(); ++i) s.features[i].Merge(o.features[i], types_[i]);
}

void DatasetStatistics::Clear() {
  for (SplitStatistics* s : {&test_, &train_}) {
    *s = SplitStatistics();
    s->features.resize(features_.size());
    s->order_span.is_float = order_is_float_;
  }
}

DatasetStatistics DatasetStatistics::Empty() const {
  DatasetStatistics e = *this;
  e.Clear();
  return e;
}

// ------------------------------------------------------------ TFDS JSON

namespace {

Json CommonJson(const FeatureStatistics& f) {
  Json c = Json::object();
  if (f.rows_with_values > 0)
    c["avgNumValues"] = Float32Json(static_cast<double>(f.total_values) / static_cast<double>(f.rows_with_values));
  PutU64(&c, "maxNumValues", f.max_values);
  PutU64(&c, "minNumValues", f.min_values);
  PutU64(&c, "numMissing", f.rows_without_values);
  PutU64(&c, "numNonMissing", f.rows_with_values);
  if (!f.values_per_row.empty()) {
    c["numValuesHistogram"] =
        HistogramJson(f.values_per_row.Quantiles(kStatsQuantiles, static_cast<double>(f.min_values),
                                                 static_cast<double>(f.max_values)),
                      0, 0, true);
  }
  PutU64(&c, "totNumValues", f.total_values);
  return c;
}

Json Custom(const char* name, Json value, const char* kind) {
  Json c = Json::object();
  c["name"] = name;
  c[kind] = std::move(value);
  return c;
}

}  // namespace

OJson DatasetStatistics::Tfds(bool test) const {
  const SplitStatistics& s = split(test);
  Json feats = Json::array();
  for (size_t i = 0; i < features_.size(); ++i) {
    const FeatureStatistics& f = s.features[i];
    Json fj = Json::object();
    fj["name"] = features_[i].name;
    switch (types_[i]) {
      case FeatureType::kInt64:
      case FeatureType::kFloat: {
        const bool is_float = types_[i] == FeatureType::kFloat;
        fj["type"] = is_float ? "FLOAT" : "INT";
        Json n = Json::object();
        n["commonStats"] = CommonJson(f);
        const uint64_t finite = f.count - f.infinite;
        if (finite > 0) {
          double mean, var;
          if (is_float) {
            mean = f.float_sum.Value() / static_cast<double>(finite);
            var = f.float_sumsq.Value() / static_cast<double>(finite) - mean * mean;
          } else {
            const long double nn = static_cast<long double>(finite);
            const long double m = static_cast<long double>(f.int_sum) / nn;
            mean = static_cast<double>(m);
            var = static_cast<double>(static_cast<long double>(f.float_sumsq.Value()) / nn - m * m);
          }
          const double lo = is_float ? f.float_hist.Edge(f.float_hist.lo()) : f.min;
          (void)lo;
          std::vector<HistogramBucket> standard =
              is_float ? f.float_hist.Standard(kStatsHistogramBuckets) : f.int_hist.Standard(kStatsHistogramBuckets);
          // The finite range for quantiles (min / max may be infinite).
          const double fmin = is_float ? std::max(f.min, f.float_hist.Edge(f.float_hist.lo())) : f.min;
          const double fmax = is_float ? std::min(f.max, f.float_hist.Edge(f.float_hist.hi() + 1)) : f.max;
          std::vector<HistogramBucket> quantiles = is_float ? f.float_hist.Quantiles(kStatsQuantiles, fmin, fmax)
                                                            : f.int_hist.Quantiles(kStatsQuantiles, fmin, fmax);
          const double median =
              is_float ? f.float_hist.Quantile(0.5, fmin, fmax) : f.int_hist.Quantile(0.5, fmin, fmax);
          n["histograms"] = Json::array(
              {HistogramJson(standard, f.nan, f.infinite, false), HistogramJson(quantiles, f.nan, f.infinite, true)});
          PutDouble(&n, "max", f.max);
          PutDouble(&n, "mean", mean);
          PutDouble(&n, "median", median);
          PutDouble(&n, "min", f.min);
          PutU64(&n, "numZeros", f.zeros);
          PutDouble(&n, "stdDev", std::sqrt(std::max(0.0, var)));
        } else if (f.nan > 0 || f.infinite > 0) {
          n["histograms"] = Json::array({HistogramJson({}, f.nan, f.infinite, false)});
          if (f.infinite > 0) {
            PutDouble(&n, "max", f.max);
            PutDouble(&n, "min", f.min);
          }
        }
        fj["numStats"] = n;
        break;
      }
      case FeatureType::kBytes: {
        fj["type"] = "STRING";
        Json st = Json::object();
        if (f.count > 0)
          st["avgLength"] = Float32Json(static_cast<double>(f.total_bytes) / static_cast<double>(f.count));
        st["commonStats"] = CommonJson(f);
        Json top = Json::array();
        for (const auto& [value, c] : f.top.Top(kStatsTopValues)) {
          Json t = Json::object();
          t["frequency"] = static_cast<double>(c);
          if (!value.empty()) t["value"] = AsUtf8(value);
          top.push_back(t);
        }
        if (!top.empty()) st["topValues"] = top;
        PutU64(&st, "unique", f.top.Unique());
        fj["stringStats"] = st;
        if (f.count > 0) {
          Json custom = Json::array();
          custom.push_back(Custom("length_histogram",
                                  HistogramJson(f.lengths.Standard(kStatsHistogramBuckets), 0, 0, false), "histogram"));
          custom.push_back(Custom("max_length", static_cast<double>(f.max_bytes), "num"));
          custom.push_back(Custom("min_length", static_cast<double>(f.min_bytes), "num"));
          // 1 when topValues and unique are exact; 1/2^k when they come from
          // the deterministic 1/2^k hash sample of the distinct values.
          custom.push_back(Custom("top_values_sample", std::ldexp(1.0, -f.top.level()), "num"));
          for (Json& c : custom)
            if (c.contains("num") && c["num"] == 0.0) c.erase("num");
          fj["customStats"] = custom;
        }
        break;
      }
    }
    feats.push_back(fj);
  }
  Json out = Json::object();
  if (!feats.empty()) out["features"] = feats;
  PutU64(&out, "numExamples", s.rows);
  return OJson(out);
}

OJson DatasetStatistics::RowJson(bool test) const {
  const SplitStatistics& s = split(test);
  const auto hist = [](const RowQuantity& q) {
    OJson a = OJson::array();
    for (const HistogramBucket& b : q.Standard(kStatsHistogramBuckets))
      a.push_back({{"low", b.low}, {"high", b.high}, {"count", static_cast<uint64_t>(b.count)}});
    return a;
  };
  OJson out;
  out["measurements_per_row"] = {{"histogram", hist(s.measurements_per_row)}};
  out["row_bytes"] = {{"histogram", hist(s.row_bytes)}};
  if (order_index_ >= 0) {
    const RowQuantity& q = s.order_span;
    out["order_span"] = {{"feature", features_[static_cast<size_t>(order_index_)].name},
                         {"min", q.Min()},
                         {"mean", q.Mean()},
                         {"max", q.Max()},
                         {"histogram", hist(q)}};
  }
  return out;
}

// ------------------------------------------------------------ state

namespace {

Json QuantityState(const RowQuantity& q) {
  return Json{{"count", q.count},
              {"int_min", q.int_min},
              {"int_max", q.int_max},
              {"int_sum", Int128ToString(q.int_sum)},
              {"float_min", Bits(q.float_min)},
              {"float_max", Bits(q.float_max)},
              {"float_sum", SumState(q.float_sum)},
              {"int_hist", HistState(q.int_hist)},
              {"float_hist", HistState(q.float_hist)}};
}

void RestoreQuantity(const Json& j, RowQuantity* q) {
  q->count = j.at("count").get<uint64_t>();
  q->int_min = j.at("int_min").get<int64_t>();
  q->int_max = j.at("int_max").get<int64_t>();
  q->int_sum = Int128At(j.at("int_sum"));
  q->float_min = FromBits(j.at("float_min").get<uint64_t>());
  q->float_max = FromBits(j.at("float_max").get<uint64_t>());
  RestoreSum(j.at("float_sum"), &q->float_sum);
  RestoreHist(j.at("int_hist"), &q->int_hist);
  RestoreHist(j.at("float_hist"), &q->float_hist);
}

Json FeatureState(const FeatureStatistics& f) {
  Json top = Json::array();
  for (const auto& [v, c] : f.top.Sorted()) top.push_back(Json::array({Hex(v), c}));
  return Json{{"rows_with_values", f.rows_with_values},
              {"rows_without_values", f.rows_without_values},
              {"min_values", f.min_values},
              {"max_values", f.max_values},
              {"total_values", f.total_values},
              {"values_per_row", HistState(f.values_per_row)},
              {"count", f.count},
              {"nan", f.nan},
              {"infinite", f.infinite},
              {"zeros", f.zeros},
              {"min", Bits(f.min)},
              {"max", Bits(f.max)},
              {"int_min", f.int_min},
              {"int_max", f.int_max},
              {"int_sum", Int128ToString(f.int_sum)},
              {"float_sum", SumState(f.float_sum)},
              {"float_sumsq", SumState(f.float_sumsq)},
              {"int_hist", HistState(f.int_hist)},
              {"float_hist", HistState(f.float_hist)},
              {"total_bytes", f.total_bytes},
              {"min_bytes", f.min_bytes},
              {"max_bytes", f.max_bytes},
              {"lengths", HistState(f.lengths)},
              {"top_level", f.top.level()},
              {"top", top}};
}

void RestoreFeature(const Json& j, FeatureStatistics* f) {
  f->rows_with_values = j.at("rows_with_values").get<uint64_t>();
  f->rows_without_values = j.at("rows_without_values").get<uint64_t>();
  f->min_values = j.at("min_values").get<uint64_t>();
  f->max_values = j.at("max_values").get<uint64_t>();
  f->total_values = j.at("total_values").get<uint64_t>();
  RestoreHist(j.at("values_per_row"), &f->values_per_row);
  f->count = j.at("count").get<uint64_t>();
  f->nan = j.at("nan").get<uint64_t>();
  f->infinite = j.at("infinite").get<uint64_t>();
  f->zeros = j.at("zeros").get<uint64_t>();
  f->min = FromBits(j.at("min").get<uint64_t>());
  f->max = FromBits(j.at("max").get<uint64_t>());
  f->int_min = j.at("int_min").get<int64_t>();
  f->int_max = j.at("int_max").get<int64_t>();
  f->int_sum = Int128At(j.at("int_sum"));
  RestoreSum(j.at("float_sum"), &f->float_sum);
  RestoreSum(j.at("float_sumsq"), &f->float_sumsq);
  RestoreHist(j.at("int_hist"), &f->int_hist);
  RestoreHist(j.at("float_hist"), &f->float_hist);
  f->total_bytes = j.at("total_bytes").get<uint64_t>();
  f->min_bytes = j.at("min_bytes").get<uint64_t>();
  f->max_bytes = j.at("max_bytes").get<uint64_t>();
  RestoreHist(j.at("lengths"), &f->lengths);
  std::vector<std::pair<std::string, uint64_t>> top;
  for (const Json& t : j.at("top")) {
    top.emplace_back(Unhex(t.at(0).get<std::string>()), t.at(1).get<uint64_t>());
  }
  if (!f->top.Restore(j.at("top_level").get<int>(), top)) throw std::runtime_error("inconsistent top values");
}

}  // namespace

Json DatasetStatistics::State() const {
  Json names = Json::array();
  for (const FeatureDescription& f : features_) names.push_back(f.name);
  Json out{{"features", names}};
  for (bool test : {true, false}) {
    const SplitStatistics& s = split(test);
    Json feats = Json::array();
    for (const FeatureStatistics& f : s.features) feats.push_back(FeatureState(f));
    out[test ? "test" : "train"] = Json{{"rows", s.rows},
                                        {"measurements", s.measurements},
                                        {"measurements_per_row", QuantityState(s.measurements_per_row)},
                                        {"row_bytes", QuantityState(s.row_bytes)},
                                        {"order_span", QuantityState(s.order_span)},
                                        {"features", feats}};
  }
  return out;
}

absl::Status DatasetStatistics::FromState(const Json& state) {
  try {
    std::vector<std::string> names = state.at("features").get<std::vector<std::string>>();
    if (names.size() != features_.size())
      return absl::DataLossError(
          fmt::format("statistics are for {} features, the dataset has {}", names.size(), features_.size()));
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] != features_[i].name)
        return absl::DataLossError(
            fmt::format("statistics feature {} is '{}', the dataset's is '{}'", i, names[i], features_[i].name));
    for (bool test : {true, false}) {
      SplitStatistics& s = test ? test_ : train_;
      const Json& j = state.at(test ? "test" : "train");
      s.rows = j.at("rows").get<uint64_t>();
      s.measurements = j.at("measurements").get<uint64_t>();
      RestoreQuantity(j.at("measurements_per_row"), &s.measurements_per_row);
      RestoreQuantity(j.at("row_bytes"), &s.row_bytes);
      RestoreQuantity(j.at("order_span"), &s.order_span);
      s.order_span.is_float = order_is_float_;
      const Json& feats = j.at("features");
      if (feats.size() != features_.size()) return absl::DataLossError("statistics: wrong number of features");
      for (size_t i = 0; i < feats.size(); ++i) RestoreFeature(feats[i], &s.features[i]);
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("statistics are damaged ({})", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace proberows
