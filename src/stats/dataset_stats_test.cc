#include "stats/dataset_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "dataset_info.pb.h"
#include "example/segment.h"
#include "gtest/gtest.h"
#include "proberows/example.h"
#include "statistics.pb.h"
#include "stats/exact_sum.h"
#include "stats/histogram.h"
#include "stats/top_values.h"

namespace proberows {
namespace {

// ------------------------------------------------------------ ExactSum

TEST(ExactSumTest, IsExactWhereDoublesLoseEverything) {
  ExactSum s;
  s.Add(1e300);
  s.Add(1.0);
  s.Add(-1e300);
  EXPECT_EQ(s.Value(), 1.0);
  ExactSum t;
  t.Add(0x1p-1074);  // the smallest subnormal
  t.Add(0x1p-1074);
  EXPECT_EQ(t.Value(), 0x1p-1073);
  ExactSum u;
  u.Add(-2.5);
  u.Add(0.5);
  EXPECT_EQ(u.Value(), -2.0);
}

TEST(ExactSumTest, OrderAndGroupingDoNotMatter) {
  std::mt19937_64 rng(7);
  std::vector<double> v;
  for (int i = 0; i < 5000; ++i)
    v.push_back(std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 200) - 100));
  ExactSum a;
  for (double x : v) a.Add(x);
  std::shuffle(v.begin(), v.end(), rng);
  ExactSum b, c;
  for (size_t i = 0; i < v.size(); ++i) (i % 3 == 0 ? b : c).Add(v[i]);
  b.Merge(c);
  EXPECT_EQ(a.Digits(), b.Digits());
  EXPECT_EQ(a.Value(), b.Value());
  ExactSum restored;
  ASSERT_TRUE(restored.FromDigits(a.Digits()));
  EXPECT_EQ(restored.Value(), a.Value());
}

// ------------------------------------------------------------ Pow2Histogram

TEST(Pow2HistogramTest, SmallIntegersGetUnitBuckets) {
  Pow2Histogram<int64_t> h;
  for (int64_t v : {3, 1, 4, 1, 5}) h.Add(v);
  EXPECT_EQ(h.k(), 0);
  EXPECT_EQ(h.lo(), 1);
  EXPECT_EQ(h.hi(), 5);
  EXPECT_EQ(h.Counts(), (std::vector<uint64_t>{2, 0, 1, 1, 1}));
  EXPECT_EQ(h.Quantile(0.5, 1, 5), 3);
  const std::vector<HistogramBucket> b = h.Standard(2);  // 5 unit buckets -> widths of 3
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].low, 1);
  EXPECT_EQ(b[0].high, 4);
  EXPECT_EQ(b[0].count, 3);
  EXPECT_EQ(b[1].low, 4);
  EXPECT_EQ(b[1].high, 7);
  EXPECT_EQ(b[1].count, 2);
}

TEST(Pow2HistogramTest, WidensToTheSmallestPowerOfTwoThatFits) {
  Pow2Histogram<int64_t> h;
  h.Add(0);
  h.Add(5000);  // 5001 unit buckets > 1024: width 8 gives buckets 0..625
  EXPECT_EQ(h.k(), 3);
  EXPECT_EQ(h.lo(), 0);
  EXPECT_EQ(h.hi(), 625);
  h.Add(-1);  // floor(-1 / 8) = -1
  EXPECT_EQ(h.lo(), -1);
  EXPECT_EQ(h.total(), 3u);
}

template <typename T>
void ExpectOrderFree(std::vector<T> values) {
  std::mt19937_64 rng(1);
  Pow2Histogram<T> all;
  for (T v : values) all.Add(v);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(values.begin(), values.end(), rng);
    std::vector<Pow2Histogram<T>> parts(1 + round);
    for (size_t i = 0; i < values.size(); ++i) parts[rng() % parts.size()].Add(values[i]);
    Pow2Histogram<T> merged;
    for (size_t i = parts.size(); i-- > 0;) merged.Merge(parts[i]);
    EXPECT_TRUE(merged == all) << "round " << round << ": k " << merged.k() << " vs " << all.k();
  }
}

TEST(Pow2HistogramTest, OrderAndGroupingDoNotMatter) {
  std::mt19937_64 rng(3);
  std::vector<int64_t> ints;
  for (int i = 0; i < 3000; ++i) ints.push_back(static_cast<int64_t>(rng() % 100000) - 200);
  ints.push_back(std::numeric_limits<int64_t>::max());
  ints.push_back(std::numeric_limits<int64_t>::min());
  ExpectOrderFree(ints);
  std::vector<double> doubles;
  for (int i = 0; i < 3000; ++i) doubles.push_back(std::exponential_distribution<double>(0.01)(rng));
  ExpectOrderFree(doubles);
  ExpectOrderFree(std::vector<double>{1e-30, 2e-30, 1e30, -1e30, 0.0});
}

TEST(Pow2HistogramTest, RestoresItsState) {
  Pow2Histogram<double> h;
  for (double v : {0.25, 3.5, 1000.0}) h.Add(v);
  Pow2Histogram<double> r;
  ASSERT_TRUE(r.Restore(h.k(), h.lo(), h.Counts()));
  EXPECT_TRUE(r == h);
  EXPECT_FALSE(r.Restore(0, 0, {0, 1}));  // the first bucket must hold a value
}

// ------------------------------------------------------------ TopValues

TEST(TopValuesTest, ExactBelowTheBound) {
  TopValues t;
  for (const char* v : {"b", "a", "b", "c", "b", "a"}) t.Add(v);
  EXPECT_TRUE(t.exact());
  EXPECT_EQ(t.Unique(), 3u);
  const auto top = t.Top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0], (std::pair<std::string, uint64_t>{"b", 3}));
  EXPECT_EQ(top[1], (std::pair<std::string, uint64_t>{"a", 2}));
}

TEST(TopValuesTest, SampleAboveTheBoundIsOrderFree) {
  std::vector<std::string> values;
  for (int i = 0; i < 5000; ++i) values.push_back("v" + std::to_string(i % 3000));
  TopValues a;
  for (const std::string& v : values) a.Add(v);
  EXPECT_GT(a.level(), 0);
  EXPECT_LE(a.kept(), TopValues::kMaxDistinct);
  std::mt19937_64 rng(5);
  std::shuffle(values.begin(), values.end(), rng);
  TopValues b, c;
  for (size_t i = 0; i < values.size(); ++i) (i % 2 ? b : c).Add(values[i]);
  c.Merge(b);
  EXPECT_EQ(c.level(), a.level());
  EXPECT_EQ(c.Sorted(), a.Sorted());
  // A kept value's count is exact: v0..v1999 occur twice.
  for (const auto& [v, n] : a.Sorted()) EXPECT_EQ(n, std::stoi(v.substr(1)) < 2000 ? 2u : 1u) << v;
}

// ------------------------------------------------------------ DatasetStatistics

// Rows of a small schema built with the real encoder: key, an int64
// timestamp, a float32 with a NaN, a bytes column and a float32 list.
class DatasetStatisticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<ExampleEncoder> e = ExampleEncoder::Create({
        {"id", FeatureType::kInt64, 0, ColumnRole::kKey},
        {"ts", FeatureType::kInt64, 0, ColumnRole::kPerMeasurement},
        {"rtt", FeatureType::kFloat, 0, ColumnRole::kPerMeasurement},
        {"dst", FeatureType::kBytes, 0, ColumnRole::kPerMeasurement},
        {"hops", FeatureType::kFloat, 1, ColumnRole::kPerMeasurement},
    });
    ASSERT_TRUE(e.ok()) << e.status();
    encoder_ = std::make_unique<ExampleEncoder>(*std::move(e));
  }

  // One measurement: ts, rtt, dst, hops.
  struct M {
    int64_t ts;
    float rtt;
    std::string dst;
    std::vector<float> hops;
  };
  std::string Row(int64_t id, const std::vector<M>& ms) {
    std::vector<std::string> payloads;
    for (const M& m : ms) {
      std::string p;
      PayloadBuilder b(&p);
      b.AddInt64(m.ts);
      b.AddFloat(m.rtt);
      b.AddBytes(m.dst);
      b.BeginList();
      for (float h : m.hops) b.AddFloatElement(h);
      b.EndList();
      payloads.push_back(std::move(p));
    }
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    std::string key;
    AppendInt64Segment(&key, id);
    std::string out;
    EXPECT_TRUE(encoder_->EncodeRow(key, views, &out).ok());
    return out;
  }
  DatasetStatistics Make() const { return DatasetStatistics(encoder_->Features(), "ts"); }

  std::unique_ptr<ExampleEncoder> encoder_;
};

const FeatureStatistics& Feature(const DatasetStatistics& s, bool test, const std::string& name) {
  for (size_t i = 0; i < s.features().size(); ++i)
    if (s.features()[i].name == name) return s.split(test).features[i];
  ADD_FAILURE() << "no feature " << name;
  static FeatureStatistics none;
  return none;
}

TEST_F(DatasetStatisticsTest, CountsEveryValueExactly) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::string r1 = Row(7, {{100, 1.5f, "a", {1, 2}}, {130, nan, "a", {}}, {160, 4.5f, "bb", {3}}});
  const std::string r2 = Row(8, {{50, 0.0f, "a", {}}});
  DatasetStatistics s = Make();
  ASSERT_TRUE(s.AddRow(false, r1, 3).ok());
  ASSERT_TRUE(s.AddRow(false, r2, 1).ok());
  const SplitStatistics& train = s.split(false);
  EXPECT_EQ(train.rows, 2u);
  EXPECT_EQ(train.measurements, 4u);
  EXPECT_EQ(train.order_span.int_min, 0);  // r2: one timestamp
  EXPECT_EQ(train.order_span.int_max, 60);
  EXPECT_EQ(s.split(true).rows, 0u);

  const FeatureStatistics& rtt = Feature(s, false, "rtt");
  EXPECT_EQ(rtt.count, 3u);
  EXPECT_EQ(rtt.nan, 1u);
  EXPECT_EQ(rtt.zeros, 1u);
  EXPECT_EQ(rtt.min, 0.0);
  EXPECT_EQ(rtt.max, 4.5);
  EXPECT_EQ(rtt.float_sum.Value(), 6.0);
  EXPECT_EQ(rtt.float_sumsq.Value(), 1.5 * 1.5 + 4.5 * 4.5);
  EXPECT_EQ(rtt.min_values, 1u);
  EXPECT_EQ(rtt.max_values, 3u);

  const FeatureStatistics& ts = Feature(s, false, "ts");
  EXPECT_EQ(ts.int_min, 50);
  EXPECT_EQ(ts.int_max, 160);
  EXPECT_EQ(static_cast<int64_t>(ts.int_sum), 440);

  const FeatureStatistics& lengths = Feature(s, false, "hops/ragged_row_lengths_0");
  EXPECT_EQ(lengths.int_hist.Counts(), (std::vector<uint64_t>{2, 1, 1}));  // lengths 0, 0, 1, 2
  const FeatureStatistics& hops = Feature(s, false, "hops/ragged_flat_values");
  EXPECT_EQ(hops.rows_with_values, 1u);
  EXPECT_EQ(hops.rows_without_values, 1u);  // r2's only list is empty
  EXPECT_EQ(hops.total_values, 3u);

  const FeatureStatistics& dst = Feature(s, false, "dst");
  EXPECT_EQ(dst.total_bytes, 5u);
  EXPECT_EQ(dst.min_bytes, 1u);
  EXPECT_EQ(dst.max_bytes, 2u);
  EXPECT_EQ(dst.top.Top(1)[0], (std::pair<std::string, uint64_t>{"a", 3}));
}

TEST_F(DatasetStatisticsTest, MergedPartsEqualTheWhole) {
  std::mt19937_64 rng(11);
  std::vector<std::string> rows;
  std::vector<uint32_t> ms;
  for (int r = 0; r < 200; ++r) {
    std::vector<M> m;
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i)
      m.push_back({static_cast<int64_t>(rng() % 100000), std::exponential_distribution<float>(0.1f)(rng),
                   "d" + std::to_string(rng() % 50), std::vector<float>(rng() % 4, 0.5f * static_cast<float>(i))});
    rows.push_back(Row(r, m));
    ms.push_back(static_cast<uint32_t>(n));
  }
  DatasetStatistics whole = Make();
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_TRUE(whole.AddRow(i < 20, rows[i], ms[i]).ok());
  // Three parts in another order, one of them through its serialized state.
  DatasetStatistics parts[3] = {Make(), Make(), Make()};
  for (size_t i = rows.size(); i-- > 0;) ASSERT_TRUE(parts[i % 3].AddRow(i < 20, rows[i], ms[i]).ok());
  DatasetStatistics restored = Make();
  ASSERT_TRUE(restored.FromState(nlohmann::json::parse(parts[1].State().dump())).ok());
  DatasetStatistics merged = Make();
  merged.Merge(parts[2]);
  merged.Merge(restored);
  merged.Merge(parts[0]);
  EXPECT_EQ(merged.State().dump(), whole.State().dump());
  for (bool test : {true, false}) {
    EXPECT_EQ(merged.Tfds(test).dump(), whole.Tfds(test).dump());
    EXPECT_EQ(merged.RowJson(test).dump(), whole.RowJson(test).dump());
  }
}

// What the reduce does: each partition's rows gathered on a worker (as
// train), then merged into the split the rows land in; a cleared object
// reused for the next partition.
TEST_F(DatasetStatisticsTest, GatheredPartitionsMergedIntoTheirSplitEqualRowByRow) {
  std::mt19937_64 rng(5);
  std::vector<std::string> rows;
  std::vector<uint32_t> ms;
  for (int r = 0; r < 120; ++r) {
    std::vector<M> m;
    const int n = 1 + static_cast<int>(rng() % 12);
    // Runs of equal values (added to histograms at once) and values that change.
    const float rtt = static_cast<float>(rng() % 7);
    for (int i = 0; i < n; ++i)
      m.push_back({static_cast<int64_t>(rng() % 3), i % 4 == 3 ? -0.0f : rtt, "d" + std::to_string(rng() % 3),
                   std::vector<float>(rng() % 3, 1e30f)});
    rows.push_back(Row(r, m));
    ms.push_back(static_cast<uint32_t>(n));
  }
  const size_t num_test = 50;
  DatasetStatistics row_by_row = Make();
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_TRUE(row_by_row.AddRow(i < num_test, rows[i], ms[i]).ok());
  DatasetStatistics merged = Make();
  DatasetStatistics part = merged.Empty();
  for (size_t begin = 0; begin < rows.size(); begin += 25) {  // partitions of 25 rows: one straddles num_test
    const size_t end = std::min(rows.size(), begin + 25);
    part.Clear();
    for (size_t i = begin; i < end; ++i) ASSERT_TRUE(part.AddRow(false, rows[i], ms[i]).ok());
    if (end <= num_test || begin >= num_test) {
      merged.MergeSplit(end <= num_test, part.split(false));
    } else {
      for (size_t i = begin; i < end; ++i) ASSERT_TRUE(merged.AddRow(i < num_test, rows[i], ms[i]).ok());
    }
  }
  EXPECT_EQ(part.split(true).rows, 0u);
  EXPECT_EQ(merged.split(true).rows, num_test);
  EXPECT_EQ(merged.State().dump(), row_by_row.State().dump());
}

TEST_F(DatasetStatisticsTest, TfdsJsonParsesStrictlyAsDatasetFeatureStatistics) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DatasetStatistics s = Make();
  ASSERT_TRUE(s.AddRow(false, Row(1, {{10, 2.0f, "x\xff", {1}}, {20, nan, "y", {}}}), 2).ok());
  ASSERT_TRUE(s.AddRow(false, Row(2, {{30, 4.0f, "x\xff", {2, 3}}}), 1).ok());
  tensorflow::metadata::v0::DatasetFeatureStatistics proto;
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  const std::string json = s.Tfds(false).dump(2);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &proto, strict).ok()) << json;
  EXPECT_EQ(proto.num_examples(), 2u);
  ASSERT_EQ(proto.features_size(), 6);
  std::map<std::string, const tensorflow::metadata::v0::FeatureNameStatistics*> by_name;
  for (const auto& f : proto.features()) by_name[f.name()] = &f;
  const auto& rtt = *by_name.at("rtt");
  EXPECT_EQ(rtt.type(), tensorflow::metadata::v0::FeatureNameStatistics::FLOAT);
  EXPECT_EQ(rtt.num_stats().common_stats().num_non_missing(), 2u);
  EXPECT_EQ(rtt.num_stats().common_stats().tot_num_values(), 3u);
  EXPECT_EQ(rtt.num_stats().common_stats().avg_num_values(), 1.5f);
  EXPECT_EQ(rtt.num_stats().min(), 2.0);
  EXPECT_EQ(rtt.num_stats().max(), 4.0);
  EXPECT_EQ(rtt.num_stats().mean(), 3.0);
  EXPECT_EQ(rtt.num_stats().std_dev(), 1.0);
  ASSERT_EQ(rtt.num_stats().histograms_size(), 2);
  EXPECT_EQ(rtt.num_stats().histograms(0).num_nan(), 1u);
  EXPECT_EQ(rtt.num_stats().histograms(1).type(), tensorflow::metadata::v0::Histogram::QUANTILES);
  double in_buckets = 0;
  for (const auto& b : rtt.num_stats().histograms(0).buckets()) {
    in_buckets += b.sample_count();
    EXPECT_LT(b.low_value(), b.high_value());
  }
  EXPECT_EQ(in_buckets, 2.0);
  const auto& ts = *by_name.at("ts");
  EXPECT_EQ(ts.type(), tensorflow::metadata::v0::FeatureNameStatistics::INT);
  EXPECT_EQ(ts.num_stats().mean(), 20.0);
  EXPECT_EQ(ts.num_stats().median(), 20.0);
  const auto& dst = *by_name.at("dst");
  EXPECT_EQ(dst.type(), tensorflow::metadata::v0::FeatureNameStatistics::STRING);
  EXPECT_EQ(dst.string_stats().unique(), 2u);
  ASSERT_GE(dst.string_stats().top_values_size(), 1);
  EXPECT_EQ(dst.string_stats().top_values(0).value(), "x\\xff");  // not UTF-8: escaped
  EXPECT_EQ(dst.string_stats().top_values(0).frequency(), 2.0);
  EXPECT_EQ(dst.string_stats().avg_length(), 5.0f / 3.0f);
}

TEST_F(DatasetStatisticsTest, RejectsARowOfAnotherLayout) {
  DatasetStatistics s(encoder_->Features(), "ts");
  const std::string row = Row(1, {{10, 2.0f, "x", {}}});
  EXPECT_FALSE(s.AddRow(false, row.substr(0, row.size() - 1), 1).ok());
  DatasetStatistics other({{"zz", "int64", "per_row", "zz", 0}}, "");
  const absl::Status st = other.AddRow(false, row, 1);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_NE(std::string(st.message()).find("'zz'"), std::string::npos) << st;
}

}  // namespace
}  // namespace proberows
