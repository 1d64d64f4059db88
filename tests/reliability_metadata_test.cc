// Damaged or edited metadata and work-folder files, and malformed stage
// arguments, end to end through the real binary (issue 18): every case gives
// one `proberows: error:` line naming the file and the field (or the value),
// exit 1, never an abort or a silent success.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <xxhash.h>

#include <filesystem>
#include <functional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

class DamagedMetadataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    WriteGoodParquet(Input(), 40, 5);
    const CommandResult r = RunProberows(fmt::format(
        "build --no-progress -i {} -o {} --static-columns country --train-shards 2 --test-shards 1", Input(), Good()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Input() { return dir_->path() + "/in.parquet"; }
  static std::string Good() { return dir_->path() + "/good"; }

  // A copy of the good output named `name`, its `file` changed by `edit`.
  std::string Edited(const std::string& name, const std::string& file, const std::function<void(std::string*)>& edit) {
    const std::string out = tmp_.path() + "/" + name;
    fs::copy(Good(), out, fs::copy_options::recursive);
    std::string text = ReadFileOrDie(out + "/" + file);
    edit(&text);
    WriteFileOrDie(out + "/" + file, text);
    return out;
  }
  // Same, editing the parsed proberows.json.
  std::string EditedMetadata(const std::string& name, const std::function<void(Json*)>& edit) {
    return Edited(name, "proberows.json", [&](std::string* text) {
      Json j = Json::parse(*text);
      edit(&j);
      *text = j.dump(2);
    });
  }

  // `command` on `dir` fails with exactly `message`, exit 1, nothing on stdout.
  static void ExpectError(const std::string& command, const std::string& dir, const std::string& message) {
    SCOPED_TRACE(command + " " + dir);
    const CommandResult r = RunProberows(command + " " + dir);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "proberows: error: " + message + "\n");
    EXPECT_EQ(r.out, "");
  }

  static TempDir* dir_;
  TempDir tmp_;
};
TempDir* DamagedMetadataTest::dir_ = nullptr;

// Was: SIGABRT (uncaught nlohmann type_error) in inspect, verify and report.
TEST_F(DamagedMetadataTest, WrongJsonTypesAreNamedByField) {
  struct Case {
    std::string name;
    std::function<void(Json*)> edit;
    std::string problem;
  };
  const Case cases[] = {
      {"splits-list",
       [](Json* j) {
         (*j)["splits"] = Json::array({1, 2});
       },
       "field 'splits' is an array, expected an object"},
      {"rows-string", [](Json* j) { (*j)["splits"]["train"]["rows"] = "12"; },
       "field 'splits.train.rows' is the string \"12\", expected an integer >= 0"},
      {"xxh3-number", [](Json* j) { (*j)["splits"]["test"]["shards"][0]["xxh3_64"] = 5; },
       "field 'splits.test.shards[0].xxh3_64' is the number 5, expected a string"},
      {"file-bytes-negative", [](Json* j) { (*j)["splits"]["train"]["shards"][1]["file_bytes"] = -1; },
       "field 'splits.train.shards[1].file_bytes' is the number -1, expected an integer >= 0"},
      {"no-key", [](Json* j) { j->erase("key"); }, "field 'key' is missing"},
      {"column-role", [](Json* j) { (*j)["columns"][1]["role"] = "primary"; },
       "field 'columns[1].role' is \"primary\", expected one of key, static, per_measurement"},
      {"shard-outside", [](Json* j) { (*j)["splits"]["train"]["shards"][0]["file"] = "../good/x"; },
       "field 'splits.train.shards[0].file' is \"../good/x\", expected a file name in the folder"},
      {"cut-rows-feature",
       [](Json* j) {
         (*j)["cut_rows"] = {{"features", Json::array({"row_index", 3})}};
       },
       "field 'cut_rows.features[1]' is the number 3, expected a string"},
      {"top-level-array", [](Json* j) { *j = Json::array(); }, "the top level is an array, expected an object"},
  };
  bool first = true;
  for (const Case& c : cases) {
    const std::string out = EditedMetadata(c.name, c.edit);
    const std::string message = fmt::format("'{}/proberows.json' is not valid proberows metadata: {}", out, c.problem);
    ExpectError("inspect", out, message);
    ExpectError("verify", out, message);
    if (first) {  // the same reader
      ExpectError("cat", out, message);
      ExpectError("report -o " + tmp_.path() + "/r.html", out, message);
      first = false;
    }
  }
}

// Was: SIGSEGV (recursion in nlohmann's serializer) for an object holding
// 100,000 nested arrays; "not valid proberows metadata" without a reason for
// bare brackets.
TEST_F(DamagedMetadataTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = Edited("deep", "proberows.json", [](std::string* text) {
    *text = "{\"splits\": {\"train\": " + std::string(100000, '[') + std::string(100000, ']') + "}}";
  });
  const std::string open =
      Edited("open", "proberows.json", [](std::string* text) { *text = std::string(100000, '['); });
  for (const char* command : {"inspect", "verify", "report -o /nonexistent/r.html"}) {
    ExpectError(
        command, deep,
        fmt::format("'{}/proberows.json' is not valid JSON: nested deeper than 512 levels (at byte 531)", deep));
    ExpectError(
        command, open,
        fmt::format("'{}/proberows.json' is not valid JSON: nested deeper than 512 levels (at byte 512)", open));
  }
  // 512 levels are read (and then refused for their content).
  const std::string deepest = Edited("deepest", "proberows.json", [](std::string* text) {
    *text = "{\"splits\": " + std::string(511, '[') + std::string(511, ']') + "}";
  });
  ExpectError("inspect", deepest,
              fmt::format("'{}/proberows.json' is not valid proberows metadata: field 'key' is missing", deepest));
}

// Was: verify said OK.
TEST_F(DamagedMetadataTest, VerifyChecksTheTfdsFilesAndSizes) {
  auto expect_problems = [](const std::string& out, const std::string& problems, int count) {
    SCOPED_TRACE(out);
    const CommandResult r = RunProberows("verify " + out);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, problems + fmt::format("proberows: error: verification failed with {} problem(s)\n", count));
    EXPECT_TRUE(r.out.ends_with(fmt::format("FAILED: {} problem(s)\n", count))) << r.out;
  };
  auto half = [](std::string* text) { text->resize(text->size() / 2); };
  const std::string info = Edited("info-cut", "dataset_info.json", half);
  const CommandResult r = RunProberows("verify " + info);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      r.err.starts_with("proberows: problem: '" + info + "/dataset_info.json' is not valid JSON: parse error at "))
      << r.err;
  EXPECT_TRUE(r.err.ends_with("\nproberows: error: verification failed with 1 problem(s)\n")) << r.err;

  const std::string features = Edited("features-cut", "features.json", [](std::string* text) { text->resize(200); });
  const CommandResult f = RunProberows("verify " + features);
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_TRUE(
      f.err.starts_with("proberows: problem: '" + features + "/features.json' is not valid JSON: parse error at "))
      << f.err;

  const std::string dropped = Edited("feature-dropped", "features.json", [](std::string* text) {
    Json j = Json::parse(*text);
    j["featuresDict"]["features"].erase("rtt");
    *text = j.dump(4);
  });
  expect_problems(dropped,
                  fmt::format("proberows: problem: {}/features.json: features do not match proberows.json's columns "
                              "(missing: 'rtt'; not columns: none)\n",
                              dropped),
                  1);

  std::string train_bytes;
  const std::string num_bytes = Edited("num-bytes", "dataset_info.json", [&](std::string* text) {
    Json j = Json::parse(*text);
    train_bytes = j["splits"][0]["numBytes"].get<std::string>();
    j["splits"][0]["numBytes"] = "7";
    *text = j.dump(2);
  });
  expect_problems(
      num_bytes,
      fmt::format("proberows: problem: {}/dataset_info.json: split 'train' numBytes is \"7\", proberows.json "
                  "says {}\n",
                  num_bytes, train_bytes),
      1);

  uint64_t size = 0, split_bytes = 0;
  std::string file;
  const std::string sizes = EditedMetadata("file-bytes", [&](Json* j) {
    Json& sh = (*j)["splits"]["train"]["shards"][0];
    file = sh["file"].get<std::string>();
    size = sh["file_bytes"].get<uint64_t>();
    split_bytes = (*j)["splits"]["train"]["file_bytes"].get<uint64_t>();
    sh["file_bytes"] = size + 1;
  });
  expect_problems(
      sizes,
      fmt::format("proberows: problem: {}: {} bytes, metadata says {}\n"
                  "proberows: problem: split train: its shards' file_bytes add up to {}, metadata says {}\n",
                  file, size, size + 1, split_bytes + 1, split_bytes),
      2);
}

// The stage commands' task argument and the environment variables of `auto`.
// Was: `1abc`, `0x1`, ` 1` ran task 1 and `-0`, `0junk` task 0.
TEST_F(DamagedMetadataTest, TaskIndicesAreDecimalDigitsOnly) {
  const std::string work = tmp_.path() + "/w";
  for (const char* task : {"1abc", "0x1", " 1", "-0", "01", "1/2x", "1/02", "1/", "99999999999"}) {
    const CommandResult r = RunProberows(fmt::format("map -w {} '{}'", work, task));
    EXPECT_EQ(r.exit_code, 1) << task;
    EXPECT_EQ(r.err,
              fmt::format("proberows: error: task '{}': expected I or I/N in decimal digits, e.g. 3 or 3/8\n", task));
  }
  for (const char* var : {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}) {
    const CommandResult r =
        RunCommand(fmt::format("{}=0junk {} reduce -w {} auto", var, std::string(PROBEROWS_BINARY), work));
    EXPECT_EQ(r.exit_code, 1) << var;
    EXPECT_EQ(r.err, fmt::format("proberows: error: task 'auto': {}='0junk' is not a task index: expected I or I/N in "
                                 "decimal digits, e.g. 3 or 3/8\n",
                                 var));
  }
  EXPECT_FALSE(fs::exists(work));
}

class SplitManifestTest : public DamagedMetadataTest {
 protected:
  void SetUp() override {
    work_ = tmp_.path() + "/w";
    out_ = tmp_.path() + "/o";
    Run(fmt::format("plan -w {} -i {} -o {} --static-columns country --map-tasks 1 --reduce-tasks 2", work_, Input(),
                    out_));
    Run("map -w " + work_ + " 0");
    Run("split -w " + work_);
    split_ = work_ + "/split.json";
    original_ = ReadFileOrDie(split_);
  }
  static void Run(const std::string& args) {
    const CommandResult r = RunProberows(args);
    ASSERT_EQ(r.exit_code, 0) << args << ": " << r.err;
  }
  // split.json edited by `edit`; with `checksum`, its checksum made to match
  // (as split.json's "xxh3_64" is computed: work_folder.cc SplitChecksum).
  void EditSplit(const std::function<void(Json*)>& edit, bool checksum) {
    Json j = Json::parse(original_);
    edit(&j);
    if (checksum) {
      Json content;
      for (const char* key :
           {"format", "plan", "measurements", "keys", "partition_keys", "partition_records", "split", "reduce"})
        content[key] = j[key];
      const std::string text = content.dump();
      j["xxh3_64"] = fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
    }
    WriteFileOrDie(split_, j.dump());
  }
  std::string work_, out_, split_, original_;
};

// Was: finalize published the edited split (num_test), reduce failed with
// std::length_error or a misleading message (partition_keys).
TEST_F(SplitManifestTest, EditedSplitIsRefused) {
  const std::string checksum = Json::parse(original_)["xxh3_64"].get<std::string>();
  const std::string edited = fmt::format(
      "'{}' was edited or damaged after the split stage wrote it (its checksum {} does not match its contents); "
      "rerun `proberows split`",
      split_, checksum);
  EditSplit([](Json* j) { (*j)["partition_keys"][0] = uint64_t{1} << 62; }, false);
  ExpectError("reduce -w", work_ + " 0", edited);
  EditSplit(
      [](Json* j) {
        (*j)["split"]["num_test"] = (*j)["split"]["num_test"].get<uint64_t>() + 3;
        (*j)["split"]["num_train"] = (*j)["split"]["num_train"].get<uint64_t>() - 3;
      },
      false);
  ExpectError("reduce -w", work_ + " 0", edited);
  ExpectError("finalize -w", work_, edited);
  // With a checksum made to match: the counts are checked against the plan.
  const Json split = Json::parse(original_)["split"];
  const uint64_t test = split["num_test"].get<uint64_t>(), train = split["num_train"].get<uint64_t>();
  EditSplit(
      [](Json* j) {
        (*j)["split"]["num_test"] = (*j)["split"]["num_test"].get<uint64_t>() + 3;
        (*j)["split"]["num_train"] = (*j)["split"]["num_train"].get<uint64_t>() - 3;
      },
      true);
  ExpectError("finalize -w", work_,
              fmt::format("'{}' does not match the plan (its split (keys 40, test {} rows in 1 shard(s), train {} rows "
                          "in 1 shard(s)) is not the plan's for 40 keys (test {} rows in 1 shard(s), train {} rows in "
                          "1 shard(s))); rerun `proberows split`",
                          split_, test + 3, train - 3, test, train));
  EditSplit([](Json* j) { (*j)["partition_keys"][0] = (*j)["partition_records"][0].get<uint64_t>() + 1; }, true);
  const Json records = Json::parse(original_)["partition_records"];
  ExpectError("reduce -w", work_ + " 1",
              fmt::format("'{}' does not match the plan (partition 0 holds {} keys but only {} measurements); rerun "
                          "`proberows split`",
                          split_, records[0].get<uint64_t>() + 1, records[0].get<uint64_t>()));
  EXPECT_FALSE(fs::exists(out_));
}

// Was: nlohmann's message alone ("[json.exception.type_error.302] type must
// be number, but is string"), naming no field.
TEST_F(SplitManifestTest, WrongTypesInTaskManifestsAndThePlanNameTheField) {
  const std::string map = work_ + "/map-00000-of-00001.json";
  Json j = Json::parse(ReadFileOrDie(map));
  j["rows"] = "many";
  WriteFileOrDie(map, j.dump());
  ExpectError("split -w", work_,
              fmt::format("map task 0 ('{}'): damaged manifest (field 'rows': type must be number, but is string); "
                          "rerun map task 0",
                          map));
  const std::string plan = work_ + "/plan.json";
  Json p = Json::parse(ReadFileOrDie(plan));
  p["map_tasks"] = Json::array();
  WriteFileOrDie(plan, p.dump());
  ExpectError("status -w", work_,
              fmt::format("{}: not a plan this proberows can read (field 'map_tasks': type must be number, but is "
                          "array); damaged, or made by another version: make a new plan with `proberows plan "
                          "--replace`",
                          plan));
}

// Was: "pass --overwrite to replace it", a flag finalize refuses.
TEST_F(SplitManifestTest, FinalizeTwiceAndOverAnotherDataset) {
  fs::copy(Good(), out_, fs::copy_options::recursive);  // a dataset the plan does not replace
  Run("reduce -w " + work_ + " 0");
  Run("reduce -w " + work_ + " 1");
  ExpectError("finalize -w", work_,
              fmt::format("output folder '{}' already holds a dataset and the plan does not replace it: make the plan "
                          "with --overwrite (`proberows plan --replace --overwrite ...`), or remove the folder",
                          out_));
  fs::remove_all(out_);
  Run("finalize -w " + work_);
  const std::string id = Json::parse(ReadFileOrDie(work_ + "/plan.json"))["id"].get<std::string>();
  ExpectError("finalize -w", work_,
              fmt::format("work folder '{}' is finalized already: plan {} was published to '{}'; to build again, make "
                          "a new plan with `proberows plan --replace` (and --overwrite to replace that output)",
                          work_, id, out_));
}

// Was: two `map -w W 0` at once both exited 0 and left the task broken (each
// removed the other's attempt as stale). Now a task runs in one process at a
// time: a second one is refused while the first holds the task's lock, and
// the lock file is gone once the task ends.
TEST_F(SplitManifestTest, ATaskRunsInOneProcessAtATime) {
  const std::string lock = work_ + "/.reduce-00000-of-00002.lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as a running `reduce -w W 0` holds it
  ExpectError("reduce -w", work_ + " 0",
              fmt::format("reduce task 0 is already running in another process (lock file '{}' is held)", lock));
  Run("reduce -w " + work_ + " 1");  // another task is not held up
  ::close(fd);
  Run("reduce -w " + work_ + " 0");
  for (const auto& e : fs::directory_iterator(work_))
    EXPECT_FALSE(e.path().filename().string().ends_with(".lock")) << e.path();
}

}  // namespace
}  // namespace proberows
