// ParallelScan against DuckDB's own view of the same file: every row arrives
// exactly once (whatever thread converts it), errors come back in our words,
// cancellation stops the scan.
#include "source/parallel_scan.h"

#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "group/record.h"
#include "proberows/build_options.h"
#include "source/key_codec.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// Sums what it receives, so that the rows of all threads can be checked
// against DuckDB's own aggregates of the input.
class SummingSink final : public RecordSink {
 public:
  absl::Status Add(uint64_t key_hash, std::string_view record) override {
    const RecordView r{record.data()};
    if (r.total_size() != record.size()) return absl::InternalError("bad record");
    // The hash handed on is the key's (seed 0), which records do not store.
    if (key_hash != HashKey(false, r.key(), 0)) return absl::InternalError("bad key hash");
    ++records;
    order_sum += r.order();
    key_sum += static_cast<uint64_t>(DecodeIntKey(r.key()));
    return absl::OkStatus();
  }
  uint64_t records = 0;
  uint64_t order_sum = 0;
  uint64_t key_sum = 0;
};

class SummingSinks final : public ScanSinks {
 public:
  absl::StatusOr<RecordSink*> NewSink(int thread_index) override {
    EXPECT_EQ(thread_index, static_cast<int>(sinks.size()));
    sinks.push_back(std::make_unique<SummingSink>());
    return sinks.back().get();
  }
  std::vector<std::unique_ptr<SummingSink>> sinks;
};

class ParallelScanTest : public ::testing::Test {
 protected:
  // 300,000 rows in row groups of 20,000: many chunks for two threads.
  void Write(const std::string& select) {
    path_ = dir_.path() + "/in.parquet";
    DuckDbOptions o;
    auto db = DuckDb::Open(o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        (*db)
            ->Execute("COPY (" + select + ") TO " + QuoteLiteral(path_) + " (FORMAT parquet, ROW_GROUP_SIZE 20000)")
            .ok());
  }
  absl::StatusOr<uint64_t> Scan(SummingSinks* sinks, const std::atomic<bool>* cancel = nullptr) {
    DuckDbOptions o;
    o.threads = 2;
    o.preserve_insertion_order = false;
    auto db = DuckDb::Open(o);
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    BuildOptions b;
    b.inputs = {path_};
    b.key_column = "k";
    b.order_column = "t";
    auto schema = ResolveSource(db_.get(), b);
    if (!schema.ok()) return schema.status();
    schema_ = *std::move(schema);
    ParallelScanOptions so;
    so.seed = 0;
    so.cancel = cancel;
    so.rows_scanned = &progress_;
    return ParallelScan(db_.get(), schema_, so, sinks);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<DuckDb> db_;
  SourceSchema schema_;
  std::atomic<uint64_t> progress_{0};
};

TEST_F(ParallelScanTest, EveryRowExactlyOnce) {
  Write("SELECT range % 1000 AS k, range AS t, range * 0.5 AS v, 'x' || range AS s FROM range(300000)");
  SummingSinks sinks;
  absl::StatusOr<uint64_t> n = Scan(&sinks);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 300000u);
  EXPECT_EQ(progress_.load(), 300000u);
  ASSERT_GE(sinks.sinks.size(), 1u);
  EXPECT_LE(sinks.sinks.size(), 2u);  // one sink per DuckDB thread, never more
  uint64_t records = 0, order_sum = 0, key_sum = 0;
  for (const auto& s : sinks.sinks) {
    records += s->records;
    order_sum += s->order_sum;
    key_sum += s->key_sum;
  }
  EXPECT_EQ(records, 300000u);
  // DuckDB's own sums of the same columns (orders as SortableInt64, mod 2^64).
  auto t_sum = db_->QueryInt64("SELECT sum(t)::BIGINT FROM " + QuoteLiteral(path_));
  auto k_sum = db_->QueryInt64("SELECT sum(k)::BIGINT FROM " + QuoteLiteral(path_));
  ASSERT_TRUE(t_sum.ok() && k_sum.ok());
  EXPECT_EQ(order_sum, static_cast<uint64_t>(*t_sum) + 300000 * 0x8000000000000000ull);
  EXPECT_EQ(key_sum, static_cast<uint64_t>(*k_sum));
}

TEST_F(ParallelScanTest, ConversionErrorIsReturnedInOurWords) {
  Write(
      "SELECT range % 1000 AS k, range AS t, CASE WHEN range = 123456 THEN NULL ELSE 'x' END AS s "
      "FROM range(300000)");
  SummingSinks sinks;
  absl::StatusOr<uint64_t> n = Scan(&sinks);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(n.status().message(),
            "column 's' is NULL for key 456 (NULL is only allowed in float columns, where it becomes NaN)");
}

TEST_F(ParallelScanTest, CancelStops) {
  Write("SELECT range % 10 AS k, range AS t FROM range(300000)");
  SummingSinks sinks;
  std::atomic<bool> cancel{true};
  absl::StatusOr<uint64_t> n = Scan(&sinks, &cancel);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(progress_.load(), 0u);
}

}  // namespace
}  // namespace proberows
