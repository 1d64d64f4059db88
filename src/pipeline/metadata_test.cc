// The three metadata files of an output folder, byte for byte, for a tiny
// 3-probe dataset built through the library API from a Parquet file written
// by DuckDB. dataset_info.json and features.json must be what TFDS reads
// (docs/output-format.md cites the TFDS sources they follow).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "dataset_info.pb.h"
#include "example.pb.h"
#include "gtest/gtest.h"
#include "proberows/array_record_reader.h"
#include "proberows/pipeline.h"
#include "source/duckdb_handle.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// prb_id 1..3 with 3, 1 and 2 measurements; a static VARCHAR, a per-
// measurement DOUBLE with a NULL, a LIST column and a static LIST column.
constexpr char kInputSql[] = R"sql(
COPY (SELECT prb_id, "timestamp", CAST(rtt_avg AS DOUBLE) AS rtt_avg, country, dst,
             CAST(rtts AS DOUBLE[]) AS rtts, CAST(tags AS VARCHAR[]) AS tags FROM (VALUES
  (1, TIMESTAMP '2024-01-01 00:00:02', 10.5, 'nl', 'a', [1.0, 2.0], ['x', 'y']),
  (1, TIMESTAMP '2024-01-01 00:00:01', NULL, 'nl', 'b', [], ['x', 'y']),
  (1, TIMESTAMP '2024-01-01 00:00:03', 12.25, 'nl', 'c', [3.0], ['x', 'y']),
  (2, TIMESTAMP '2024-01-01 00:00:05', 7.0, 'de', 'a', [4.0, 5.0, 6.0], []),
  (3, TIMESTAMP '2024-01-01 00:00:09', 1.5, 'fr', 'd', [7.0], ['z']),
  (3, TIMESTAMP '2024-01-01 00:00:08', 2.5, 'fr', 'e', [], ['z'])
) AS t(prb_id, "timestamp", rtt_avg, country, dst, rtts, tags))
TO '{}' (FORMAT PARQUET))sql";

// The golden files. proberows.json pins the statistics and shard checksums
// (uncompressed shards, so they do not depend on zstd's version).
constexpr char DATASET_INFO_GOLDEN[] = R"json({
  "description": "One row per 'prb_id' holding all its measurements ordered by 'timestamp'; written by proberows.",
  "fileFormat": "array_record",
  "moduleName": "proberows",
  "name": "probes",
  "splits": [
    {
      "filepathTemplate": "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
      "name": "train",
      "numBytes": "131072",
      "shardLengths": [
        "2"
      ]
    },
    {
      "filepathTemplate": "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
      "name": "test",
      "numBytes": "131072",
      "shardLengths": [
        "1"
      ]
    }
  ],
  "version": "1.0.0"
}
)json";
constexpr char FEATURES_GOLDEN[] = R"json({
    "pythonClassName": "tensorflow_datasets.core.features.features_dict.FeaturesDict",
    "featuresDict": {
        "features": {
            "country": {
                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                "tensor": {
                    "shape": {},
                    "dtype": "string",
                    "encoding": "none"
                }
            },
            "dst": {
                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                "tensor": {
                    "shape": {
                        "dimensions": [
                            "-1"
                        ]
                    },
                    "dtype": "string",
                    "encoding": "none"
                }
            },
            "prb_id": {
                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                "tensor": {
                    "shape": {},
                    "dtype": "int64",
                    "encoding": "none"
                }
            },
            "rtt_avg": {
                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                "tensor": {
                    "shape": {
                        "dimensions": [
                            "-1"
                        ]
                    },
                    "dtype": "float32",
                    "encoding": "none"
                }
            },
            "rtts": {
                "pythonClassName": "tensorflow_datasets.core.features.sequence_feature.Sequence",
                "sequence": {
                    "feature": {
                        "pythonClassName": "tensorflow_datasets.core.features.sequence_feature.Sequence",
                        "sequence": {
                            "feature": {
                                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                                "tensor": {
                                    "shape": {},
                                    "dtype": "float32",
                                    "encoding": "none"
                                }
                            },
                            "length": "-1"
                        }
                    },
                    "length": "-1"
                }
            },
            "tags": {
                "pythonClassName": "tensorflow_datasets.core.features.sequence_feature.Sequence",
                "sequence": {
                    "feature": {
                        "pythonClassName": "tensorflow_datasets.core.features.sequence_feature.Sequence",
                        "sequence": {
                            "feature": {
                                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                                "tensor": {
                                    "shape": {},
                                    "dtype": "string",
                                    "encoding": "none"
                                }
                            },
                            "length": "-1"
                        }
                    },
                    "length": "1"
                }
            },
            "timestamp": {
                "pythonClassName": "tensorflow_datasets.core.features.tensor_feature.Tensor",
                "tensor": {
                    "shape": {
                        "dimensions": [
                            "-1"
                        ]
                    },
                    "dtype": "int64",
                    "encoding": "none"
                }
            }
        }
    }
}
)json";
constexpr char PROBEROWS_GOLDEN[] = R"json({
  "format": "proberows/1",
  "name": "probes",
  "key": "prb_id",
  "order_by": "timestamp",
  "columns": [
    {
      "name": "prb_id",
      "input_type": "INTEGER",
      "role": "key",
      "dtype": "int64",
      "list": false,
      "nulls": "error"
    },
    {
      "name": "timestamp",
      "input_type": "TIMESTAMP",
      "role": "per_measurement",
      "dtype": "int64",
      "list": false,
      "nulls": "error"
    },
    {
      "name": "rtt_avg",
      "input_type": "DOUBLE",
      "role": "per_measurement",
      "dtype": "float32",
      "list": false,
      "nulls": "nan"
    },
    {
      "name": "country",
      "input_type": "VARCHAR",
      "role": "static",
      "dtype": "bytes",
      "list": false,
      "nulls": "error"
    },
    {
      "name": "dst",
      "input_type": "VARCHAR",
      "role": "per_measurement",
      "dtype": "bytes",
      "list": false,
      "nulls": "error"
    },
    {
      "name": "rtts",
      "input_type": "DOUBLE[]",
      "role": "per_measurement",
      "dtype": "float32",
      "list": true,
      "nulls": "nan"
    },
    {
      "name": "tags",
      "input_type": "VARCHAR[]",
      "role": "static",
      "dtype": "bytes",
      "list": true,
      "nulls": "error"
    }
  ],
  "features": [
    {
      "name": "country",
      "dtype": "bytes",
      "kind": "per_row",
      "column": "country"
    },
    {
      "name": "dst",
      "dtype": "bytes",
      "kind": "per_measurement",
      "column": "dst"
    },
    {
      "name": "prb_id",
      "dtype": "int64",
      "kind": "per_row",
      "column": "prb_id"
    },
    {
      "name": "rtt_avg",
      "dtype": "float32",
      "kind": "per_measurement",
      "column": "rtt_avg"
    },
    {
      "name": "rtts/ragged_flat_values",
      "dtype": "float32",
      "kind": "ragged_values",
      "column": "rtts"
    },
    {
      "name": "rtts/ragged_row_lengths_0",
      "dtype": "int64",
      "kind": "ragged_row_lengths",
      "column": "rtts",
      "level": 0
    },
    {
      "name": "tags/ragged_flat_values",
      "dtype": "bytes",
      "kind": "ragged_values",
      "column": "tags"
    },
    {
      "name": "tags/ragged_row_lengths_0",
      "dtype": "int64",
      "kind": "ragged_row_lengths",
      "column": "tags",
      "level": 0
    },
    {
      "name": "timestamp",
      "dtype": "int64",
      "kind": "per_measurement",
      "column": "timestamp"
    }
  ],
  "split": {
    "test_fraction": 0.34,
    "seed": 1,
    "key_hash": "XXH3_64bits_withSeed(key, seed); int keys as 8-byte little-endian",
    "test_rows": 1,
    "train_rows": 2
  },
  "array_record_options": "group_size:1,transpose:false,pad_to_block_boundary:false,uncompressed",
  "null_lists_as_empty": false,
  "counts": {
    "rows": 3,
    "measurements": 6
  },
  "splits": {
    "train": {
      "rows": 2,
      "measurements": 5,
      "row_bytes": {
        "min": 260,
        "mean": 273.5,
        "max": 287,
        "total": 547,
        "histogram": [
          {
            "low": 260.0,
            "high": 262.0,
            "count": 1
          },
          {
            "low": 262.0,
            "high": 264.0,
            "count": 0
          },
          {
            "low": 264.0,
            "high": 266.0,
            "count": 0
          },
          {
            "low": 266.0,
            "high": 268.0,
            "count": 0
          },
          {
            "low": 268.0,
            "high": 270.0,
            "count": 0
          },
          {
            "low": 270.0,
            "high": 272.0,
            "count": 0
          },
          {
            "low": 272.0,
            "high": 274.0,
            "count": 0
          },
          {
            "low": 274.0,
            "high": 276.0,
            "count": 0
          },
          {
            "low": 276.0,
            "high": 278.0,
            "count": 0
          },
          {
            "low": 278.0,
            "high": 280.0,
            "count": 0
          },
          {
            "low": 280.0,
            "high": 282.0,
            "count": 0
          },
          {
            "low": 282.0,
            "high": 284.0,
            "count": 0
          },
          {
            "low": 284.0,
            "high": 286.0,
            "count": 0
          },
          {
            "low": 286.0,
            "high": 288.0,
            "count": 1
          }
        ]
      },
      "measurements_per_row": {
        "min": 2,
        "mean": 2.5,
        "max": 3,
        "histogram": [
          {
            "low": 2.0,
            "high": 3.0,
            "count": 1
          },
          {
            "low": 3.0,
            "high": 4.0,
            "count": 1
          }
        ]
      },
      "file_bytes": 131072,
      "shards": [
        {
          "file": "probes-train.array_record-00000-of-00001",
          "rows": 2,
          "measurements": 5,
          "row_bytes": 547,
          "file_bytes": 131072,
          "xxh3_64": "e59b8ff469263be2"
        }
      ],
      "order_span": {
        "feature": "timestamp",
        "min": 1000000.0,
        "mean": 1500000.0,
        "max": 2000000.0,
        "histogram": [
          {
            "low": 999424.0,
            "high": 1049600.0,
            "count": 1
          },
          {
            "low": 1049600.0,
            "high": 1099776.0,
            "count": 0
          },
          {
            "low": 1099776.0,
            "high": 1149952.0,
            "count": 0
          },
          {
            "low": 1149952.0,
            "high": 1200128.0,
            "count": 0
          },
          {
            "low": 1200128.0,
            "high": 1250304.0,
            "count": 0
          },
          {
            "low": 1250304.0,
            "high": 1300480.0,
            "count": 0
          },
          {
            "low": 1300480.0,
            "high": 1350656.0,
            "count": 0
          },
          {
            "low": 1350656.0,
            "high": 1400832.0,
            "count": 0
          },
          {
            "low": 1400832.0,
            "high": 1451008.0,
            "count": 0
          },
          {
            "low": 1451008.0,
            "high": 1501184.0,
            "count": 0
          },
          {
            "low": 1501184.0,
            "high": 1551360.0,
            "count": 0
          },
          {
            "low": 1551360.0,
            "high": 1601536.0,
            "count": 0
          },
          {
            "low": 1601536.0,
            "high": 1651712.0,
            "count": 0
          },
          {
            "low": 1651712.0,
            "high": 1701888.0,
            "count": 0
          },
          {
            "low": 1701888.0,
            "high": 1752064.0,
            "count": 0
          },
          {
            "low": 1752064.0,
            "high": 1802240.0,
            "count": 0
          },
          {
            "low": 1802240.0,
            "high": 1852416.0,
            "count": 0
          },
          {
            "low": 1852416.0,
            "high": 1902592.0,
            "count": 0
          },
          {
            "low": 1902592.0,
            "high": 1952768.0,
            "count": 0
          },
          {
            "low": 1952768.0,
            "high": 2002944.0,
            "count": 1
          }
        ]
      }
    },
    "test": {
      "rows": 1,
      "measurements": 1,
      "row_bytes": {
        "min": 249,
        "mean": 249.0,
        "max": 249,
        "total": 249,
        "histogram": [
          {
            "low": 249.0,
            "high": 250.0,
            "count": 1
          }
        ]
      },
      "measurements_per_row": {
        "min": 1,
        "mean": 1.0,
        "max": 1,
        "histogram": [
          {
            "low": 1.0,
            "high": 2.0,
            "count": 1
          }
        ]
      },
      "file_bytes": 131072,
      "shards": [
        {
          "file": "probes-test.array_record-00000-of-00001",
          "rows": 1,
          "measurements": 1,
          "row_bytes": 249,
          "file_bytes": 131072,
          "xxh3_64": "ded310b966cd41f8"
        }
      ],
      "order_span": {
        "feature": "timestamp",
        "min": 0.0,
        "mean": 0.0,
        "max": 0.0,
        "histogram": [
          {
            "low": 0.0,
            "high": 1.0,
            "count": 1
          }
        ]
      }
    }
  }
}
)json";

// The shard files of `split` in `dir`, in order.
std::vector<std::string> ShardFiles(const std::string& dir, const std::string& split) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().starts_with("probes-" + split + ".array_record-")) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> ReadAllRecords(const std::string& path) {
  std::vector<std::string> out;
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  EXPECT_TRUE((*reader)
                  ->ReadAll([&](uint64_t, std::string_view rec) -> absl::Status {
                    out.emplace_back(rec);
                    return absl::OkStatus();
                  })
                  .ok());
  return out;
}

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = dir_.path() + "/in.parquet";
    absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{});
    ASSERT_TRUE(db.ok()) << db.status();
    std::string sql = kInputSql;
    sql.replace(sql.find("{}"), 2, input_);
    ASSERT_TRUE((*db)->Execute(sql).ok());
  }

  // Builds into `out` and returns the summary.
  BuildSummary BuildInto(const std::string& out, int workers, Strategy strategy) {
    BuildOptions o;
    o.inputs = {input_};
    o.output_dir = out;
    o.static_columns = {"country", "tags"};
    o.test_fraction = 0.34;  // round(0.34 * 3) = 1 test row
    o.seed = 1;
    o.array_record_options = "group_size:1,uncompressed";  // sizes independent of zstd's version
    o.workers = workers;
    o.strategy = strategy;
    o.progress = false;
    absl::StatusOr<BuildSummary> s = Build(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : BuildSummary{};
  }

  TempDir dir_;
  std::string input_;
};

TEST_F(MetadataTest, DatasetInfoJsonIsTheTfdsDatasetInfoProto) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  // Byte for byte, but for each split's statistics (checked below).
  nlohmann::ordered_json info = nlohmann::ordered_json::parse(ReadFileOrDie(out + "/dataset_info.json"));
  for (auto& split : info["splits"]) {
    ASSERT_TRUE(split.contains("statistics"));
    split.erase("statistics");
  }
  EXPECT_EQ(info.dump(2) + "\n", DATASET_INFO_GOLDEN);
}

// The statistics parse as TFDS's DatasetInfo with tensorflow_metadata's
// DatasetFeatureStatistics (protobuf's strict JSON parser: unknown fields
// rejected), and their figures match ones computed here from the rows as
// protobuf's own Example parser reads them out of the shards.
TEST_F(MetadataTest, StatisticsAreTfdsDatasetFeatureStatisticsOfTheRows) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  tensorflow_datasets::DatasetInfo info;
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  const auto st = google::protobuf::util::JsonStringToMessage(ReadFileOrDie(out + "/dataset_info.json"), &info, strict);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(info.splits_size(), 2);
  for (const auto& split : info.splits()) {
    // Every value of every feature, from the shards.
    struct Values {
      std::vector<double> numbers;  // int64 and float32 values, NaN included
      std::vector<std::string> strings;
      uint64_t rows_with = 0, rows_without = 0;
    };
    std::map<std::string, Values> want;
    uint64_t rows = 0;
    for (const std::string& file : ShardFiles(out, split.name())) {
      for (const std::string& record : ReadAllRecords(file)) {
        tensorflow::Example ex;
        ASSERT_TRUE(ex.ParseFromString(record));
        ++rows;
        for (const auto& [name, f] : ex.features().feature()) {
          Values& v = want[name];
          size_t n = 0;
          for (int64_t x : f.int64_list().value()) v.numbers.push_back(static_cast<double>(x)), ++n;
          for (float x : f.float_list().value()) v.numbers.push_back(x), ++n;
          for (const std::string& x : f.bytes_list().value()) v.strings.push_back(x), ++n;
          ++(n > 0 ? v.rows_with : v.rows_without);
        }
      }
    }
    const auto& stats = split.statistics();
    EXPECT_EQ(stats.num_examples(), rows) << split.name();
    ASSERT_EQ(static_cast<size_t>(stats.features_size()), want.size()) << split.name();
    for (const auto& f : stats.features()) {
      const Values& v = want.at(f.name());
      const std::string where = split.name() + " " + f.name();
      if (f.has_num_stats()) {
        const auto& n = f.num_stats();
        EXPECT_EQ(n.common_stats().num_non_missing(), v.rows_with) << where;
        EXPECT_EQ(n.common_stats().num_missing(), v.rows_without) << where;
        EXPECT_EQ(n.common_stats().tot_num_values(), v.numbers.size()) << where;
        std::vector<double> finite;
        uint64_t nan = 0, zeros = 0;
        for (double x : v.numbers) {
          if (std::isnan(x)) {
            ++nan;
          } else {
            finite.push_back(x);
            zeros += x == 0;
          }
        }
        ASSERT_FALSE(finite.empty()) << where;
        double sum = 0, sumsq = 0;
        for (double x : finite) sum += x;
        const double mean = sum / static_cast<double>(finite.size());
        for (double x : finite) sumsq += (x - mean) * (x - mean);
        EXPECT_EQ(n.min(), *std::min_element(finite.begin(), finite.end())) << where;
        EXPECT_EQ(n.max(), *std::max_element(finite.begin(), finite.end())) << where;
        EXPECT_NEAR(n.mean(), mean, 1e-9 * std::max(1.0, std::fabs(mean))) << where;
        EXPECT_NEAR(n.std_dev(), std::sqrt(sumsq / static_cast<double>(finite.size())),
                    1e-6 * std::max(1.0, std::fabs(mean)))
            << where;
        EXPECT_EQ(n.num_zeros(), zeros) << where;
        ASSERT_EQ(n.histograms_size(), 2) << where;
        EXPECT_EQ(n.histograms(0).num_nan(), nan) << where;
        double in_buckets = 0;
        for (const auto& b : n.histograms(0).buckets()) {
          in_buckets += b.sample_count();
          const auto inside = std::count_if(finite.begin(), finite.end(),
                                            [&](double x) { return x >= b.low_value() && x < b.high_value(); });
          EXPECT_EQ(b.sample_count(), static_cast<double>(inside)) << where << " bucket " << b.low_value();
        }
        EXPECT_EQ(in_buckets, static_cast<double>(finite.size())) << where;
      } else {
        ASSERT_TRUE(f.has_string_stats()) << where;
        const auto& s = f.string_stats();
        EXPECT_EQ(s.common_stats().tot_num_values(), v.strings.size()) << where;
        std::map<std::string, uint64_t> counts;
        double bytes = 0;
        for (const std::string& x : v.strings) ++counts[x], bytes += static_cast<double>(x.size());
        EXPECT_EQ(s.unique(), counts.size()) << where;
        if (v.strings.empty()) continue;
        EXPECT_FLOAT_EQ(s.avg_length(), static_cast<float>(bytes / static_cast<double>(v.strings.size()))) << where;
        ASSERT_GE(s.top_values_size(), 1) << where;
        for (const auto& t : s.top_values()) EXPECT_EQ(t.frequency(), counts.at(t.value())) << where;
      }
    }
  }
}

TEST_F(MetadataTest, FeaturesJsonIsTheTfdsFeaturesDict) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  EXPECT_EQ(ReadFileOrDie(out + "/features.json"), FEATURES_GOLDEN);
}

TEST_F(MetadataTest, RaggedListIsASequenceOfSequencesInTfdsCurrentForm) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  const auto f = nlohmann::json::parse(ReadFileOrDie(out + "/features.json"));
  const auto& rtts = f["featuresDict"]["features"]["rtts"];
  // Sequence(Sequence(Tensor(float32))): the `sequence` member of the Feature
  // oneof, int64 lengths as strings, -1 for any length.
  ASSERT_EQ(rtts["pythonClassName"], "tensorflow_datasets.core.features.sequence_feature.Sequence");
  EXPECT_EQ(rtts["sequence"]["length"], "-1");
  const auto& inner = rtts["sequence"]["feature"];
  EXPECT_EQ(inner["pythonClassName"], "tensorflow_datasets.core.features.sequence_feature.Sequence");
  EXPECT_EQ(inner["sequence"]["length"], "-1");
  const auto& tensor = inner["sequence"]["feature"];
  EXPECT_EQ(tensor["pythonClassName"], "tensorflow_datasets.core.features.tensor_feature.Tensor");
  EXPECT_EQ(tensor["tensor"].dump(), R"({"dtype":"float32","encoding":"none","shape":{}})");  // parse() sorts keys
  EXPECT_FALSE(rtts.contains("jsonFeature"));
}

TEST_F(MetadataTest, StaticListIsASequenceOfLengthOne) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  const auto f = nlohmann::json::parse(ReadFileOrDie(out + "/features.json"));
  const auto& tags = f["featuresDict"]["features"]["tags"];
  EXPECT_EQ(tags["sequence"]["length"], "1");
  EXPECT_EQ(tags["sequence"]["feature"]["sequence"]["length"], "-1");
  EXPECT_EQ(tags["sequence"]["feature"]["sequence"]["feature"]["tensor"]["dtype"], "string");
}

TEST_F(MetadataTest, ProberowsJsonExact) {
  const std::string out = dir_.path() + "/out";
  BuildInto(out, 1, Strategy::kStreaming);
  EXPECT_EQ(ReadFileOrDie(out + "/proberows.json"), PROBEROWS_GOLDEN);
}

TEST_F(MetadataTest, MetadataDoesNotDependOnWorkersOrStrategyOrPaths) {
  const std::string a = dir_.path() + "/a";
  const std::string b = dir_.path() + "/elsewhere-b";
  BuildInto(a, 1, Strategy::kSequential);
  BuildInto(b, 4, Strategy::kInMemory);
  for (const char* file : {"/proberows.json", "/dataset_info.json", "/features.json"}) {
    EXPECT_EQ(ReadFileOrDie(a + file), ReadFileOrDie(b + file)) << file;
  }
}

}  // namespace
}  // namespace proberows
