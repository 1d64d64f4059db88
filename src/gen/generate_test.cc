// Tests of GenerateDataset: exact counts, per-row invariants, schema,
// determinism, the file split, errors and cleanup, and the per-probe
// distribution. Every check reads the written Parquet back through DuckDB.
#include "proberows/generate.h"

#include <bzlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gen/generate_sql.h"
#include "gtest/gtest.h"
#include "proberows/env.h"
#include "source/duckdb_handle.h"
#include "tests/test_util.h"
#include "util/fault_injection_env.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

// Every column, for row hashes.
constexpr const char* kAllColumns =
    "prb_id, msm_id, \"timestamp\", af, src_addr, dst_addr, proto, size, ttl, sent, rcvd, \"min\", \"avg\", "
    "\"max\", rtts, prb_lat, prb_lon, prb_asn, prb_country";

std::unique_ptr<DuckDb> OpenDb() {
  DuckDbOptions options;
  options.threads = 2;
  auto db = DuckDb::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

GenerateOptions SmallOptions(const std::string& dir) {
  GenerateOptions options;
  options.output_dir = dir;
  options.measurements = 20000;
  options.probes = 800;
  options.threads = 2;
  return options;
}

// "read_parquet('dir/part-*.parquet')".
std::string Parquet(const std::string& dir) {
  return fmt::format("read_parquet({})", QuoteLiteral(dir + "/part-*.parquet"));
}

int64_t QueryOrDie(DuckDb* db, const std::string& sql) {
  auto v = db->QueryInt64(sql, -999);
  EXPECT_TRUE(v.ok()) << v.status() << "\n" << sql;
  return v.ok() ? *v : -1;
}

// An order-independent fingerprint of the rows in `dir`: row count, sum and
// xor of per-row hashes.
std::vector<int64_t> Fingerprint(DuckDb* db, const std::string& dir) {
  const std::string rows = fmt::format("(SELECT hash({}) AS h FROM {})", kAllColumns, Parquet(dir));
  return {QueryOrDie(db, fmt::format("SELECT count(*) FROM {}", rows)),
          QueryOrDie(db, fmt::format("SELECT (sum(h::HUGEINT) % 9223372036854775783)::BIGINT FROM {}", rows)),
          QueryOrDie(db, fmt::format("SELECT (bit_xor(h) >> 1)::BIGINT FROM {}", rows))};
}

// Names in `dir`, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  auto names = Env::Default()->GetChildren(dir);
  EXPECT_TRUE(names.ok()) << names.status();
  return names.ok() ? *names : std::vector<std::string>{};
}

TEST(GenerateDatasetTest, FileNames) {
  EXPECT_EQ(GenerateFileName(0, 1), "part-00000-of-00001.parquet");
  EXPECT_EQ(GenerateFileName(2, 4), "part-00002-of-00004.parquet");
}

TEST(GenerateDatasetTest, ExactCountsSchemaAndInvariants) {
  TempDir dir;
  GenerateOptions options = SmallOptions(dir.path() + "/out");
  options.files = 3;
  std::vector<std::pair<int, int>> progress;
  options.progress = [&](int done, int total) { progress.emplace_back(done, total); };
  auto result = GenerateDataset(options);
  ASSERT_TRUE(result.ok()) << result.status();

  // Result and folder: exactly the three files, nothing else left behind.
  EXPECT_EQ(result->measurements, 20000u);
  EXPECT_EQ(result->probes, 800u);
  ASSERT_EQ(result->files.size(), 3u);
  EXPECT_EQ(result->files[1], options.output_dir + "/part-00001-of-00003.parquet");
  EXPECT_EQ(Listing(options.output_dir),
            (std::vector<std::string>{"part-00000-of-00003.parquet", "part-00001-of-00003.parquet",
                                      "part-00002-of-00003.parquet"}));
  uint64_t bytes = 0;
  for (const std::string& f : result->files) bytes += fs::file_size(f);
  EXPECT_EQ(result->bytes, bytes);
  EXPECT_GT(result->seconds, 0.0);
  EXPECT_EQ(progress, (std::vector<std::pair<int, int>>{{1, 3}, {2, 3}, {3, 3}}));

  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  const std::string all = Parquet(options.output_dir);

  // Schema: names and DuckDB types, in order.
  auto schema = db->Query(fmt::format("SELECT * FROM {} LIMIT 0", all));
  ASSERT_TRUE(schema.ok()) << schema.status();
  std::vector<std::string> got, want;
  for (const ResultColumn& c : schema->columns()) got.push_back(c.name + " " + c.type_name());
  for (const GeneratedColumn& c : GeneratedColumns()) want.push_back(std::string(c.name) + " " + c.type);
  EXPECT_EQ(got, want);
  EXPECT_EQ(want.size(), 19u);
  EXPECT_EQ(want[14], "rtts DOUBLE[]");

  // Exact totals; each file holds the measurements g with g mod 3 == file.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {}", all)), 20000);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT prb_id) FROM {}", all)), 800);
  for (int f = 0; f < 3; ++f) {
    EXPECT_EQ(
        QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM read_parquet({})", QuoteLiteral(result->files[f]))),
        f < 2 ? 6667 : 6666);
  }

  // Per-probe attributes are constant; every probe with two or more
  // measurements appears in at least two files.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT prb_id FROM {} GROUP BY prb_id HAVING "
                                             "count(DISTINCT prb_lat) <> 1 OR count(DISTINCT prb_lon) <> 1 OR "
                                             "count(DISTINCT prb_asn) <> 1 OR count(DISTINCT prb_country) <> 1 OR "
                                             "count(DISTINCT CASE WHEN af = 4 THEN src_addr END) > 1 OR "
                                             "count(DISTINCT CASE WHEN af = 6 THEN src_addr END) > 1)",
                                             all)),
            0);
  const std::string with_files =
      fmt::format("read_parquet({}, filename = true)", QuoteLiteral(options.output_dir + "/part-*.parquet"));
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT prb_id FROM {} GROUP BY prb_id "
                                             "HAVING count(*) >= 2 AND count(DISTINCT filename) < 2)",
                                             with_files)),
            0);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT prb_id FROM {} GROUP BY prb_id "
                                             "HAVING count(DISTINCT filename) = 3)",
                                             with_files)),
            400);

  // Row invariants. Each query counts violating rows.
  const std::vector<std::string> violations = {
      "rcvd < 0 OR rcvd > sent OR sent NOT IN (3, 5)",
      "len(rtts) <> rcvd OR rtts IS NULL",
      "(rcvd = 0) <> (\"min\" IS NULL) OR (rcvd = 0) <> (\"avg\" IS NULL) OR (rcvd = 0) <> (\"max\" IS NULL)"
      " OR (rcvd = 0) <> (ttl = 0) OR ttl IS NULL",
      "rcvd > 0 AND NOT (\"min\" <= \"avg\" AND \"avg\" <= \"max\")",
      "rcvd > 0 AND (\"min\" <> list_min(rtts) OR \"max\" <> list_max(rtts) OR abs(\"avg\" - list_avg(rtts)) > "
      "0.0005000001)",
      "rcvd > 0 AND (\"min\" <= 0 OR \"max\" > 2000 OR ttl < 1 OR ttl > 255)",
      "af NOT IN (4, 6) OR msm_id IS DISTINCT FROM CASE WHEN af = 4 THEN 1000 + list_position(['198.41.0.4', "
      "'192.33.4.12', '199.7.91.13', '192.203.230.10', '192.5.5.241', '198.97.190.53', '192.36.148.17', "
      "'192.58.128.30', '193.0.14.129', '202.12.27.33'], dst_addr) ELSE 1010 + list_position(["
      "'2001:503:ba3e::2:30', '2001:500:2::c', '2001:500:2d::d', '2001:500:a8::e', '2001:500:2f::f', "
      "'2001:500:1::53', '2001:7fe::53', '2001:503:c27::2:30', '2001:7fd::1', '2001:dc3::35'], dst_addr) END",
      "af = 4 AND NOT (regexp_full_match(src_addr, '\\d{1,3}(\\.\\d{1,3}){3}') AND "
      "regexp_full_match(dst_addr, '\\d{1,3}(\\.\\d{1,3}){3}') AND "
      "list_max(string_split(src_addr, '.')::INTEGER[]) <= 255)",
      "af = 6 AND NOT (regexp_full_match(src_addr, '([1-9a-f][0-9a-f]{0,3}:){7}[1-9a-f][0-9a-f]{0,3}') AND "
      "regexp_full_match(dst_addr, '[0-9a-f:]+') AND contains(dst_addr, '::') AND msm_id BETWEEN 1011 AND 1020)",
      "proto NOT IN ('ICMP', 'UDP') OR size NOT IN (48, 64) OR prb_country IS NULL OR length(prb_country) <> 2",
      "prb_lat NOT BETWEEN -90 AND 90 OR prb_lon NOT BETWEEN -180 AND 180 OR prb_asn < 1 OR prb_id < 1",
      "\"timestamp\" < TIMESTAMP '2024-01-01' OR \"timestamp\" >= TIMESTAMP '2024-01-31' OR "
      "epoch_us(\"timestamp\") % 1000000 <> 0",
  };
  for (const std::string& v : violations) {
    EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE {}", all, v)), 0) << v;
  }
  // A measurement id fixes target, protocol, size and packet count.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT msm_id) FROM {}", all)), 20);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT msm_id FROM {} GROUP BY msm_id HAVING "
                                             "count(DISTINCT (dst_addr, proto, size, sent)) <> 1)",
                                             all)),
            0);
  // Both families, both protocols, lost measurements and exact timestamp
  // ties within a probe all occur.
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE af = 6", all)), 2000);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE proto = 'UDP'", all)), 1000);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE rcvd = 0", all)), 100);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE rcvd > 0 AND rcvd < sent", all)), 100);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT prb_id, \"timestamp\" FROM {} "
                                             "GROUP BY ALL HAVING count(*) > 1)",
                                             all)),
            100);
  // Probe ids are sparse, not 0..probes-1.
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT max(prb_id) FROM {}", all)), 900000);
  // Each file is ordered by time.
  for (const std::string& f : result->files) {
    EXPECT_EQ(
        QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT \"timestamp\" < lag(\"timestamp\") OVER () "
                                         "AS back FROM read_parquet({})) WHERE back",
                                         QuoteLiteral(f))),
        0);
  }
}

TEST(GenerateDatasetTest, DeterministicAndSeeded) {
  TempDir dir;
  GenerateOptions a = SmallOptions(dir.path() + "/a");
  GenerateOptions b = a;
  b.output_dir = dir.path() + "/b";
  b.threads = 1;  // the thread count must not matter
  GenerateOptions c = a;
  c.output_dir = dir.path() + "/c";
  c.seed = 43;
  for (const GenerateOptions* o : {&a, &b, &c}) {
    auto r = GenerateDataset(*o);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  const auto fa = Fingerprint(db.get(), a.output_dir);
  EXPECT_EQ(fa[0], 20000);
  EXPECT_EQ(fa, Fingerprint(db.get(), b.output_dir));
  EXPECT_EQ(ReadFileOrDie(a.output_dir + "/part-00000-of-00001.parquet"),
            ReadFileOrDie(b.output_dir + "/part-00000-of-00001.parquet"));
  const auto fc = Fingerprint(db.get(), c.output_dir);
  EXPECT_EQ(fc[0], 20000);
  EXPECT_NE(fa[1], fc[1]);
  EXPECT_NE(fa[2], fc[2]);
  // A different seed changes the probes, not just the measurements.
  EXPECT_LT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT DISTINCT prb_id FROM {} INTERSECT "
                                             "SELECT DISTINCT prb_id FROM {})",
                                             Parquet(a.output_dir), Parquet(c.output_dir))),
            100);
}

TEST(GenerateDatasetTest, SplittingIntoFilesKeepsTheRows) {
  TempDir dir;
  GenerateOptions one = SmallOptions(dir.path() + "/one");
  GenerateOptions three = one;
  three.output_dir = dir.path() + "/three";
  three.files = 3;
  ASSERT_TRUE(GenerateDataset(one).ok());
  ASSERT_TRUE(GenerateDataset(three).ok());
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(Fingerprint(db.get(), one.output_dir), Fingerprint(db.get(), three.output_dir));
  // And row by row (EXCEPT ALL keeps duplicates).
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})",
                                             Parquet(one.output_dir), Parquet(three.output_dir))),
            0);
}

TEST(GenerateDatasetTest, SmallestShapes) {
  TempDir dir;
  // One probe, one measurement.
  GenerateOptions tiny = SmallOptions(dir.path() + "/tiny");
  tiny.measurements = 1;
  tiny.probes = 1;
  ASSERT_TRUE(GenerateDataset(tiny).ok());
  // As many files as measurements, every probe with exactly one measurement.
  GenerateOptions flat = SmallOptions(dir.path() + "/flat");
  flat.measurements = 7;
  flat.probes = 7;
  flat.files = 7;
  auto r = GenerateDataset(flat);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->files.size(), 7u);
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {}", Parquet(tiny.output_dir))), 1);
  for (const std::string& f : r->files) {
    EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM read_parquet({})", QuoteLiteral(f))), 1) << f;
  }
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT prb_id) FROM {}", Parquet(flat.output_dir))), 7);
}

TEST(GenerateDatasetTest, InvalidOptions) {
  auto message = [](GenerateOptions o) {
    absl::Status st = ValidateGenerateOptions(o);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    absl::StatusOr<GenerateResult> r = GenerateDataset(o);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status(), st);
    return StatusMessage(st);
  };
  GenerateOptions base;
  base.output_dir = "/nonexistent/never/created";
  EXPECT_TRUE(ValidateGenerateOptions(base).ok());
  GenerateOptions o = base;
  o.output_dir = "";
  EXPECT_EQ(message(o), "the output folder (--output) is not set");
  o = base;
  o.probes = 0;
  EXPECT_EQ(message(o), "--probes must be >= 1 (got 0)");
  o = base;
  o.measurements = 10;
  o.probes = 20;
  EXPECT_EQ(message(o), "every probe has at least one measurement: --measurements (10) must be >= --probes (20)");
  o = base;
  o.files = 0;
  EXPECT_EQ(message(o), "--files must be >= 1 (got 0)");
  o = base;
  o.measurements = 20;
  o.probes = 20;
  o.files = 30;
  EXPECT_EQ(message(o), "every file holds at least one measurement: --files (30) must be <= --measurements (20)");
  o = base;
  o.files = 100000;
  EXPECT_EQ(message(o), "--files must be <= 99999 (got 100000)");
  o = base;
  o.measurements = uint64_t{1} << 50;
  EXPECT_EQ(message(o), "--measurements must be <= 281474976710656 (got 1125899906842624)");
  o = base;
  o.threads = -1;
  EXPECT_EQ(message(o), "--threads must be >= 0 (got -1)");
  EXPECT_FALSE(fs::exists("/nonexistent/never/created"));
}

TEST(GenerateDatasetTest, RefusesExistingOutputUnlessOverwrite) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  GenerateOptions first = SmallOptions(out);
  first.measurements = 2000;
  first.probes = 100;
  first.files = 4;
  ASSERT_TRUE(GenerateDataset(first).ok());
  WriteFileOrDie(out + "/notes.txt", "kept");

  GenerateOptions second = first;
  second.files = 2;
  auto refused = GenerateDataset(second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusMessage(refused.status()),
            fmt::format("generate: output folder '{}' already holds 4 part-* file(s) (e.g. "
                        "'part-00000-of-00004.parquet'); pass --overwrite to replace them",
                        out));
  EXPECT_EQ(Listing(out).size(), 5u);

  // With overwrite, all old parts go (also those of a different file count).
  second.overwrite = true;
  auto replaced = GenerateDataset(second);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(Listing(out),
            (std::vector<std::string>{"notes.txt", "part-00000-of-00002.parquet", "part-00001-of-00002.parquet"}));
}

TEST(GenerateDatasetTest, OutputFolderThatIsAFile) {
  TempDir dir;
  WriteFileOrDie(dir.path() + "/file", "x");
  auto r = GenerateDataset(SmallOptions(dir.path() + "/file"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(StatusMessage(r.status()).find("generate: creating the output folder"), std::string::npos) << r.status();
}

TEST(GenerateDatasetTest, FailedWriteLeavesNothing) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  // A folder where file 2's temporary file should go makes DuckDB's COPY fail
  // after file 1 was written.
  const std::string blocker = fmt::format("{}/.part-00001-of-00003.parquet.tmp-{}", out, static_cast<long>(::getpid()));
  fs::create_directories(blocker);
  GenerateOptions options = SmallOptions(out);
  options.files = 3;
  auto r = GenerateDataset(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusMessage(r.status()).rfind(fmt::format("generate: writing '{}' (file 2 of 3): ", blocker), 0), 0u)
      << r.status();
  fs::remove(blocker);
  EXPECT_EQ(Listing(out), std::vector<std::string>{});
}

TEST(GenerateDatasetTest, FailedRenameLeavesNothing) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  FaultInjectionEnv env;
  env.FailRenameNumber(2);
  GenerateOptions options = SmallOptions(out);
  options.files = 3;
  options.env = &env;
  auto r = GenerateDataset(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusMessage(r.status()),
            fmt::format("generate: renaming output: rename '{}/part-00001-of-00003.parquet': No space left on device "
                        "(injected)",
                        out));
  EXPECT_EQ(Listing(out), std::vector<std::string>{});
}

TEST(GenerateDatasetTest, OutOfMemoryIsAStatus) {
  TempDir dir;
  GenerateOptions options = SmallOptions(dir.path() + "/out");
  options.measurements = 300000;
  options.memory_limit_bytes = 8 << 20;
  options.temp_dir = dir.path() + "/spill";
  auto r = GenerateDataset(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_EQ(Listing(options.output_dir), std::vector<std::string>{});
}

// Per-probe measurement counts from the probe table alone (no files).
struct CountStats {
  int64_t probes, total, min, median, p99, max;
};
CountStats ProbeCountStats(uint64_t measurements, uint64_t probes) {
  auto db = OpenDb();
  GenerateShape shape{measurements, probes, 1, 42};
  absl::Status st = db->Execute(GenerateSetupSql(shape));
  EXPECT_TRUE(st.ok()) << st;
  CountStats s;
  s.probes = QueryOrDie(db.get(), "SELECT count(*) FROM gen_probes");
  s.total = QueryOrDie(db.get(), "SELECT sum(cnt)::BIGINT FROM gen_probes");
  s.min = QueryOrDie(db.get(), "SELECT min(cnt) FROM gen_probes");
  s.median = QueryOrDie(db.get(), "SELECT quantile_disc(cnt, 0.5) FROM gen_probes");
  s.p99 = QueryOrDie(db.get(), "SELECT quantile_disc(cnt, 0.99) FROM gen_probes");
  s.max = QueryOrDie(db.get(), "SELECT max(cnt) FROM gen_probes");
  // Offsets are the running sum of the counts.
  EXPECT_EQ(QueryOrDie(db.get(),
                       "SELECT count(*) FROM (SELECT off <> coalesce(sum(cnt) OVER (ORDER BY i ROWS BETWEEN "
                       "UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bad FROM gen_probes) WHERE bad"),
            0);
  // The counts are exactly 1 + floor(R*C_i/W) - floor(R*C_{i-1}/W), computed
  // here the slow, obvious way (ordered window, HUGEINT division).
  EXPECT_EQ(
      QueryOrDie(db.get(),
                 fmt::format("WITH w AS (SELECT i, greatest(1, round(1000.0 * exp(0.9 * least(3.0, "
                             "gen_gauss(gen_d(gen_probe_hash(i), 1), gen_d(gen_probe_hash(i), 2))))))::BIGINT AS w "
                             "FROM range({probes}) t(i)), "
                             "c AS (SELECT i, sum(w) OVER (ORDER BY i) AS c, sum(w) OVER () AS total FROM w), "
                             "e AS (SELECT i, ({extra}::HUGEINT * c // total)::BIGINT AS hi FROM c), "
                             "x AS (SELECT i, 1 + hi - coalesce(lag(hi) OVER (ORDER BY i), 0) AS cnt FROM e) "
                             "SELECT count(*) FROM x JOIN gen_probes g USING (i) WHERE x.cnt <> g.cnt",
                             fmt::arg("probes", probes), fmt::arg("extra", measurements - probes))),
      0);
  return s;
}

TEST(GenerateDatasetTest, ProbeCountsScaleWithTheSameShape) {
  // The default size and 10x of it: same mean, same shape (docs/dataset.md
  // has the figures up to 400x).
  for (uint64_t scale : {1, 10}) {
    SCOPED_TRACE(scale);
    const CountStats s = ProbeCountStats(500000 * scale, 18928 * scale);
    EXPECT_EQ(s.probes, static_cast<int64_t>(18928 * scale));
    EXPECT_EQ(s.total, static_cast<int64_t>(500000 * scale));
    EXPECT_EQ(s.min, 1);
    EXPECT_GE(s.median, 15);
    EXPECT_LE(s.median, 21);
    EXPECT_GE(s.p99, 120);
    EXPECT_LE(s.p99, 170);
    EXPECT_GE(s.max, 200);
    EXPECT_LE(s.max, 320);
  }
}

TEST(GenerateDatasetTest, DefaultSizeDistribution) {
  TempDir dir;
  GenerateOptions options;
  options.output_dir = dir.path() + "/out";
  auto r = GenerateDataset(options);
  ASSERT_TRUE(r.ok()) << r.status();
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  const std::string counts =
      fmt::format("(SELECT prb_id, count(*) AS n FROM {} GROUP BY prb_id)", Parquet(options.output_dir));
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {}", counts)), 18928);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT sum(n)::BIGINT FROM {}", counts)), 500000);
  const int64_t min = QueryOrDie(db.get(), fmt::format("SELECT min(n) FROM {}", counts));
  const int64_t median = QueryOrDie(db.get(), fmt::format("SELECT quantile_disc(n, 0.5) FROM {}", counts));
  const int64_t p99 = QueryOrDie(db.get(), fmt::format("SELECT quantile_disc(n, 0.99) FROM {}", counts));
  const int64_t max = QueryOrDie(db.get(), fmt::format("SELECT max(n) FROM {}", counts));
  EXPECT_EQ(min, 1);
  EXPECT_GE(median, 15);
  EXPECT_LE(median, 21);
  EXPECT_GE(p99, 120);
  EXPECT_LE(p99, 170);
  EXPECT_GE(max, 200);
  EXPECT_LE(max, 320);
  // The probe table and the files agree.
  const CountStats table = ProbeCountStats(500000, 18928);
  EXPECT_EQ(table.median, median);
  EXPECT_EQ(table.max, max);
  std::printf("default size: %zu file(s), %llu bytes, %.2f s; per probe min %lld median %lld p99 %lld max %lld\n",
              r->files.size(), static_cast<unsigned long long>(r->bytes), r->seconds, static_cast<long long>(min),
              static_cast<long long>(median), static_cast<long long>(p99), static_cast<long long>(max));
}

}  // namespace
}  // namespace proberows

namespace proberows {
namespace {

// The same measurements as RIPE Atlas' native ping results: every value
// traces back to the Parquet rows of the same seed, in the shapes of each
// firmware.
TEST(GenerateDatasetTest, RipeAtlasPingJsonHoldsTheSameMeasurements) {
  TempDir dir;
  GenerateOptions parquet = SmallOptions(dir.path() + "/parquet");
  parquet.files = 2;
  GenerateOptions json = parquet;
  json.output_dir = dir.path() + "/json";
  json.format = GenerateFormat::kRipeAtlasPingJson;
  ASSERT_TRUE(GenerateDataset(parquet).ok());
  absl::StatusOr<GenerateResult> r = GenerateDataset(json);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Listing(json.output_dir),
            (std::vector<std::string>{"part-00000-of-00002.jsonl", "part-00001-of-00002.jsonl"}));
  EXPECT_EQ(GenerateFileName(1, 2, GenerateFormat::kRipeAtlasPingJson), "part-00001-of-00002.jsonl");
  auto db = OpenDb();
  // Read the JSON as the ping preset does: numbers that may be strings as DOUBLE.
  const std::string j = fmt::format(
      "read_json({}, columns = {{'fw': 'BIGINT', 'prb_id': 'BIGINT', 'msm_id': 'BIGINT', 'timestamp': 'BIGINT', "
      "'af': 'BIGINT', 'mode': 'VARCHAR', 'dst_addr': 'VARCHAR', 'addr': 'VARCHAR', 'ttl': 'DOUBLE', 'sent': "
      "'DOUBLE', 'rcvd': 'DOUBLE', 'dup': 'DOUBLE', 'min': 'DOUBLE', 'result': 'STRUCT(rtt DOUBLE, x VARCHAR, dup "
      "DOUBLE)[]'}})",
      QuoteLiteral(json.output_dir + "/part-*.jsonl"));
  const std::string p = Parquet(parquet.output_dir);
  EXPECT_EQ(QueryOrDie(db.get(), "SELECT count(*) FROM " + j), 20000);
  // Per (probe, timestamp): the same sent/rcvd, and the replies (duplicates
  // dropped) are the Parquet row's rtts; lost packets are {"x": "*"}.
  EXPECT_EQ(QueryOrDie(db.get(),
                       fmt::format("SELECT count(*) FROM {} p JOIN {} j ON p.prb_id = j.prb_id AND "
                                   "epoch(p.\"timestamp\")::BIGINT = j.\"timestamp\" AND p.msm_id = j.msm_id "
                                   "WHERE p.sent = j.sent AND p.rcvd = j.rcvd AND (j.fw = 1 OR (list_transform("
                                   "list_filter(j.result, e -> e.x IS NULL AND e.dup IS NULL), e -> e.rtt) = p.rtts "
                                   "AND len(list_filter(j.result, e -> e.x = '*')) = p.sent - p.rcvd))",
                                   p, j)),
            20000);
  // No reply: min -1 and no ttl, as RIPE writes them.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE rcvd = 0 AND (\"min\" <> -1 OR ttl IS NOT "
                                             "NULL)",
                                             j)),
            0);
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE rcvd = 0", j)), 0);
  // Duplicate replies, counted by dup.
  EXPECT_GT(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE dup = 1", j)), 10);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE dup <> len(list_filter(result, e -> "
                                             "e.dup = 1)) AND fw <> 1",
                                             j)),
            0);
  // The firmware mix: old names for firmware before 4460 (and beside the new
  // ones before 4540), numbers as strings before 4460.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT fw) FROM {}", j)), 5);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE (fw < 4460) <> (dst_addr IS NULL) OR "
                                             "(fw < 4540) <> (addr IS NOT NULL) OR (fw = 4430) <> (mode IS NOT NULL) "
                                             "OR (fw = 1) <> (result IS NULL)",
                                             j)),
            0);
  EXPECT_GT(
      QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM read_json_objects({}) WHERE json_type(json->'sent') = "
                                       "'VARCHAR'",
                                       QuoteLiteral(json.output_dir + "/part-*.jsonl"))),
      100);
  // Deterministic: the same bytes again.
  GenerateOptions again = json;
  again.output_dir = dir.path() + "/again";
  again.threads = 1;
  ASSERT_TRUE(GenerateDataset(again).ok());
  for (const std::string& f : Listing(json.output_dir))
    EXPECT_EQ(ReadFileOrDie(json.output_dir + "/" + f), ReadFileOrDie(again.output_dir + "/" + f)) << f;
}

// The RIPE Atlas shape, small: 50 probes, 4 measurement ids (2 targets
// over IPv4 and IPv6), a result every 900 s: S streams, 4 cycles an hour.
GenerateOptions SmallRipeOptions(const std::string& dir) {
  GenerateOptions options;
  options.output_dir = dir;
  options.shape = GenerateShapeKind::kRipeAtlas;
  options.probes = 50;
  options.measurement_ids = 4;
  options.interval_seconds = 900;
  options.measurements = 1500;
  options.threads = 2;
  EXPECT_TRUE(ParseUtcTime("2024-05-01T22", "--start", &options.start_epoch_seconds).ok());
  return options;
}

TEST(GenerateDatasetTest, RipeAtlasShape) {
  TempDir dir;
  GenerateOptions parquet = SmallRipeOptions(dir.path() + "/parquet");
  absl::StatusOr<GenerateResult> r = GenerateDataset(parquet);
  ASSERT_TRUE(r.ok()) << r.status();
  auto db = OpenDb();
  ASSERT_NE(db, nullptr);
  const std::string all = fmt::format("read_parquet({})", QuoteLiteral(parquet.output_dir + "/ping-*.parquet"));
  const int64_t streams = QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT (prb_id, msm_id)) FROM {}", all));
  // Every probe runs the two IPv4 ids, the 40% with IPv6 the two IPv6 ones.
  EXPECT_GT(streams, 50 * 2 + 10);
  EXPECT_LT(streams, 50 * 2 + 70);
  // One file per hour, from the start, across midnight; 4 * S results an
  // hour, the last hour cut at 1,500.
  const int64_t hours = (1500 + 4 * streams - 1) / (4 * streams);
  std::vector<std::string> names = {"ping-2024-05-01T2200.parquet", "ping-2024-05-01T2300.parquet",
                                    "ping-2024-05-02T0000.parquet", "ping-2024-05-02T0100.parquet"};
  names.resize(static_cast<size_t>(hours));
  EXPECT_EQ(Listing(parquet.output_dir), names);
  EXPECT_EQ(r->files.size(), names.size());
  EXPECT_EQ(r->measurements, 1500u);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {}", all)), 1500);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(DISTINCT prb_id) FROM {}", all)), 50);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT list_sort(list(DISTINCT msm_id)) = [1001, 1002, 2001, 2002] "
                                             "FROM {}",
                                             all)),
            1);
  // Each file holds its hour, in time order.
  const int64_t start = parquet.start_epoch_seconds;
  for (size_t h = 0; h < names.size(); ++h) {
    const std::string f = fmt::format("read_parquet({})", QuoteLiteral(parquet.output_dir + "/" + names[h]));
    EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE epoch(\"timestamp\")::BIGINT < {} OR "
                                               "epoch(\"timestamp\")::BIGINT >= {}",
                                               f, start + 3600 * static_cast<int64_t>(h),
                                               start + 3600 * static_cast<int64_t>(h + 1))),
              0)
        << names[h];
    EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT \"timestamp\" < lag(\"timestamp\") "
                                               "OVER () AS back FROM {}) WHERE back",
                                               f)),
              0);
  }
  // A stream has one result per 900 s cycle, inside its cycle: full cycles
  // hold every stream once.
  EXPECT_EQ(
      QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT prb_id, msm_id, (epoch(\"timestamp\")::BIGINT "
                                       "- {}) // 900 AS cyc, count(*) AS n FROM {} GROUP BY ALL) WHERE n <> 1",
                                       start, all)),
      0);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT (epoch(\"timestamp\")::BIGINT - {}) // 900 "
                                             "AS cyc, count(*) AS n FROM {} GROUP BY ALL) WHERE n <> {} AND cyc < {}",
                                             start, all, streams, 1500 / streams)),
            0);
  // IPv6 ids come from IPv6 addresses, to the target's IPv6 address.
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE (msm_id >= 2001) <> (af = 6) OR (af = 6) "
                                             "<> (strpos(dst_addr, ':') > 0)",
                                             all)),
            0);

  // The same measurements as RIPE Atlas' JSON, plain and compressed; bz2
  // files named as RIPE names its dumps.
  auto json_of = [&](const std::string& name, GenerateCompression c) {
    GenerateOptions j = parquet;
    j.output_dir = dir.path() + "/" + name;
    j.format = GenerateFormat::kRipeAtlasPingJson;
    j.compression = c;
    absl::StatusOr<GenerateResult> jr = GenerateDataset(j);
    EXPECT_TRUE(jr.ok()) << jr.status();
    return j.output_dir;
  };
  const std::string plain = json_of("json", GenerateCompression::kNone);
  const std::string bz2 = json_of("bz2", GenerateCompression::kBzip2);
  const std::string zst = json_of("zst", GenerateCompression::kZstd);
  EXPECT_EQ(Listing(plain)[0], "ping-2024-05-01T2200.jsonl");
  EXPECT_EQ(Listing(bz2)[0], "ping-2024-05-01T2200.bz2");
  EXPECT_EQ(Listing(zst)[0], "ping-2024-05-01T2200.jsonl.zst");
  EXPECT_EQ(Listing(bz2).size(), names.size());
  for (const std::string& name : Listing(plain)) {
    const std::string stem = name.substr(0, name.size() - 6);
    const std::string json = ReadFileOrDie(plain + "/" + name);
    // bzip2: one stream, decoded by libbz2 itself.
    const std::string packed = ReadFileOrDie(bz2 + "/" + stem + ".bz2");
    EXPECT_EQ(packed.substr(0, 4), "BZh9");
    std::string unpacked(json.size() + 1, '\0');
    unsigned int size = static_cast<unsigned int>(unpacked.size());
    ASSERT_EQ(BZ2_bzBuffToBuffDecompress(unpacked.data(), &size, const_cast<char*>(packed.data()),
                                         static_cast<unsigned int>(packed.size()), 0, 0),
              BZ_OK);
    unpacked.resize(size);
    EXPECT_TRUE(unpacked == json) << name;
    // zstd (and gzip, the same DuckDB option): DuckDB reads them back to the same lines.
    const std::string other = zst + "/" + stem + ".jsonl.zst";
    EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM (SELECT json FROM read_json_objects({}) "
                                               "EXCEPT ALL SELECT json FROM read_json_objects({}))",
                                               QuoteLiteral(other), QuoteLiteral(plain + "/" + name))),
              0)
        << other;
  }
  const std::string j = fmt::format(
      "read_json({}, columns = {{'prb_id': 'BIGINT', 'msm_id': 'BIGINT', 'timestamp': 'BIGINT', 'sent': 'DOUBLE', "
      "'rcvd': 'DOUBLE', 'dst_name': 'VARCHAR', 'step': 'BIGINT'}})",
      QuoteLiteral(plain + "/ping-*.jsonl"));
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} p JOIN {} j ON p.prb_id = j.prb_id AND "
                                             "epoch(p.\"timestamp\")::BIGINT = j.\"timestamp\" AND p.msm_id = j.msm_id "
                                             "WHERE p.sent = j.sent AND p.rcvd = j.rcvd",
                                             all, j)),
            1500);
  EXPECT_EQ(QueryOrDie(db.get(), fmt::format("SELECT count(*) FROM {} WHERE (dst_name IS NOT NULL AND dst_name NOT IN "
                                             "('a.root-servers.net', 'b.root-servers.net')) OR (step IS NOT NULL AND "
                                             "step <> 900)",
                                             j)),
            0);

  // Deterministic: the same bytes with one thread.
  GenerateOptions again = parquet;
  again.output_dir = dir.path() + "/again";
  again.threads = 1;
  ASSERT_TRUE(GenerateDataset(again).ok());
  for (const std::string& f : Listing(parquet.output_dir))
    EXPECT_EQ(ReadFileOrDie(parquet.output_dir + "/" + f), ReadFileOrDie(again.output_dir + "/" + f)) << f;
}

TEST(GenerateDatasetTest, FailedCompressionLeavesNothing) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  FaultInjectionEnv env;
  env.FailPathsContaining("T2300.bz2.tmp");  // the second hour's bzip2 file
  GenerateOptions options = SmallRipeOptions(out);
  options.format = GenerateFormat::kRipeAtlasPingJson;
  options.compression = GenerateCompression::kBzip2;
  options.env = &env;
  auto r = GenerateDataset(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusMessage(r.status()).rfind("generate: compressing: ", 0), 0u) << r.status();
  EXPECT_NE(StatusMessage(r.status()).find("ping-2024-05-01T2300.bz2.tmp-"), std::string::npos) << r.status();
  EXPECT_EQ(Listing(out), std::vector<std::string>{});
}

TEST(GenerateDatasetTest, RipeAtlasShapeOptions) {
  GenerateOptions o = SmallRipeOptions("/tmp/unused");
  EXPECT_TRUE(ValidateGenerateOptions(o).ok());
  auto message = [](const GenerateOptions& x) { return std::string(ValidateGenerateOptions(x).message()); };
  GenerateOptions bad = o;
  bad.files = 3;
  EXPECT_EQ(message(bad), "--files 3: the ripe-atlas shape writes one file per hour of data");
  bad = o;
  bad.interval_seconds = 7;
  EXPECT_EQ(message(bad), "--interval 7: must divide an hour (3600 s), e.g. 60, 240, 300 or 900");
  bad = o;
  bad.measurement_ids = 0;
  EXPECT_EQ(message(bad), "--measurement-ids must be in 1..1000 (got 0)");
  bad = o;
  bad.start_epoch_seconds += 60;
  EXPECT_EQ(message(bad), "--start: the ripe-atlas shape starts at a whole hour (its files are hours)");
  bad = o;
  bad.compression = GenerateCompression::kBzip2;
  EXPECT_EQ(message(bad),
            "--compression is for JSON (--format ripe-atlas-ping-json); Parquet files are compressed inside");

  int64_t t = 0;
  ASSERT_TRUE(ParseUtcTime("2024-05-01", "--start", &t).ok());
  EXPECT_EQ(t, 1714521600);
  ASSERT_TRUE(ParseUtcTime("2024-05-01T13", "--start", &t).ok());
  EXPECT_EQ(t, 1714521600 + 13 * 3600);
  ASSERT_TRUE(ParseUtcTime("2024-05-01 13:20:05Z", "--start", &t).ok());
  EXPECT_EQ(t, 1714521600 + 13 * 3600 + 20 * 60 + 5);
  EXPECT_EQ(ParseUtcTime("2024-02-30", "--start", &t).message(), "--start: '2024-02-30' is not a date");
  EXPECT_EQ(ParseUtcTime("yesterday", "--start", &t).message(),
            "--start: 'yesterday' is not a UTC time like 2024-05-01 or 2024-05-01T13:00:00");
  EXPECT_EQ(ParseUtcTime("2024-05-01T13:00:00+02", "--start", &t).code(), absl::StatusCode::kInvalidArgument);
  GenerateShapeKind shape;
  EXPECT_EQ(ParseGenerateShape("ripe", &shape).message(),
            "--shape: unknown shape 'ripe' (expected synthetic or ripe-atlas)");
  GenerateCompression c;
  ASSERT_TRUE(ParseGenerateCompression("bz2", &c).ok());
  EXPECT_EQ(c, GenerateCompression::kBzip2);
  GenerateOptions names = o;
  names.format = GenerateFormat::kRipeAtlasPingJson;
  names.compression = GenerateCompression::kBzip2;
  EXPECT_EQ(GenerateFileName(names, 3, 5), "ping-2024-05-02T0100.bz2");
  names.shape = GenerateShapeKind::kSynthetic;
  EXPECT_EQ(GenerateFileName(names, 3, 5), "part-00003-of-00005.jsonl.bz2");
}

}  // namespace
}  // namespace proberows
