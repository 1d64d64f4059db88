// The three metadata files of an output folder, byte for byte, for a tiny
// 3-probe dataset built through the library API from a Parquet file written
// by DuckDB. dataset_info.json and features.json must be what TFDS reads
// (docs/output-format.md cites the TFDS sources they follow).
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
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
        "total": 547
      },
      "measurements_per_row": {
        "min": 2,
        "mean": 2.5,
        "max": 3
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
      ]
    },
    "test": {
      "rows": 1,
      "measurements": 1,
      "row_bytes": {
        "min": 249,
        "mean": 249.0,
        "max": 249,
        "total": 249
      },
      "measurements_per_row": {
        "min": 1,
        "mean": 1.0,
        "max": 1
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
      ]
    }
  }
}
)json";

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
  EXPECT_EQ(ReadFileOrDie(out + "/dataset_info.json"), DATASET_INFO_GOLDEN);
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
