#include "pipeline/work_folder.h"

#include <unistd.h>
#include <xxhash.h>

#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/json_check.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kMapFormat = "proberows-map/2";      // 2: spill blocks of docs/spill-format.md "PRS2"
constexpr const char* kSplitFormat = "proberows-split/2";  // 2: with its checksum, "xxh3_64"
constexpr const char* kReduceFormat = "proberows-reduce/1";

Json StatsJson(const TaskStats& s) {
  return {{"seconds", s.seconds},
          {"peak_rss_bytes", s.peak_rss_bytes},
          {"bytes_read", s.bytes_read},
          {"bytes_written", s.bytes_written}};
}

// The checksum split.json carries of what the reduce tasks and finalize take
// from it (all of it but the task's timing "stats"): XXH3 of those members
// as compact JSON, 16 hex digits. Integers and strings only, so a parse and
// dump give the same text.
std::string SplitChecksum(const Json& j) {
  Json content;
  for (const char* key :
       {"format", "plan", "measurements", "keys", "partition_keys", "partition_records", "split", "reduce"})
    content[key] = j.contains(key) ? j[key] : Json();
  const std::string text = content.dump();
  return fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
}

// Files named relative to the work folder; blocks refer to them by index.
class FileTable {
 public:
  explicit FileTable(const std::string& dir) : prefix_(dir + "/") {}
  int Index(const std::string& path) {
    auto it = index_.find(path);
    if (it != index_.end()) return it->second;
    const int i = static_cast<int>(names_.size());
    index_[path] = i;
    names_.push_back(path.starts_with(prefix_) ? path.substr(prefix_.size()) : path);
    return i;
  }
  Json Blocks(const std::vector<BlockRef>& blocks) {
    Json out = Json::array();
    for (const BlockRef& b : blocks) out.push_back({Index(b.path), b.offset, b.size});
    return out;
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::string prefix_;
  std::map<std::string, int> index_;
  std::vector<std::string> names_;
};

absl::StatusOr<Json> ReadJson(Env* env, const std::string& path, const std::string& missing) {
  if (!env->FileExists(path)) return absl::FailedPreconditionError(missing);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  return ParseJsonFile(text, path);
}

// Reads the manifest of a map or reduce task and checks its format, its plan
// (a stale output is refused) and its task numbers. `*who` names it.
absl::StatusOr<Json> ReadTaskManifest(Env* env, const std::string& path, const char* stage, const char* format,
                                      int task, int tasks, const std::string& plan_id, std::string* who) {
  *who = fmt::format("{} task {} ('{}')", stage, task, path);
  ASSIGN_OR_RETURN(
      Json j,
      ReadJson(env, path, fmt::format("{} task {} has no output ('{}' is missing); run it", stage, task, path)));
  try {
    if (GetField<std::string>(j, "format") != format)
      return absl::DataLossError(fmt::format("{}: not a {} task manifest", *who, stage));
    const std::string made_for = GetField<std::string>(j, "plan");
    if (made_for != plan_id)
      return absl::FailedPreconditionError(
          fmt::format("{} was made for another plan ({}, not {}); rerun it", *who, made_for, plan_id));
    if (GetField<int>(j, "task") != task || GetField<int>(j, "tasks") != tasks)
      return absl::DataLossError(fmt::format("{}: manifest does not match the plan", *who));
  } catch (const std::exception& e) {
    return absl::DataLossError(
        fmt::format("{}: damaged manifest ({}); rerun {} task {}", *who, JsonErrorMessage(e), stage, task));
  }
  return j;
}

}  // namespace

WorkFolder::WorkFolder(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string WorkFolder::TaskName(const char* stage, int task, int tasks) {
  return fmt::format("{}-{:05d}-of-{:05d}", stage, task, tasks);
}

std::string WorkFolder::NewAttempt() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  std::string h;
  for (const char* p = host; *p && h.size() < 32; ++p) h += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  if (h.empty()) h = "host";
  std::random_device rd;
  return fmt::format("{}-{}-{:08x}", h, ::getpid(), rd());
}

absl::StatusOr<std::string> WorkFolder::MakeAttemptDir(const std::string& task, const std::string& attempt) {
  const std::string path = Path(task + "/" + attempt);
  RETURN_IF_ERROR(env_->CreateDirs(path));
  return path;
}

absl::StatusOr<std::string> WorkFolder::MakeScratchDir(const std::string& task, const std::string& attempt) {
  const std::string path = Path(".scratch/" + task + "-" + attempt);
  RETURN_IF_ERROR(env_->CreateDirs(path));
  return path;
}

absl::Status WorkFolder::SavePlan(const BuildPlan& plan, bool replace, bool* unchanged) {
  *unchanged = false;
  const std::string path = Path("plan.json");
  if (env_->FileExists(dir_)) {
    ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir_));
    if (!children.empty() && !env_->FileExists(path))
      return absl::FailedPreconditionError(fmt::format(
          "work folder '{}' is not empty and holds no plan.json; give an empty or new folder to --work", dir_));
    if (env_->FileExists(path)) {
      absl::StatusOr<BuildPlan> old = LoadPlan();
      if (old.ok() && old->id == plan.id) {
        *unchanged = true;
        return absl::OkStatus();
      }
      if (!replace)
        return absl::FailedPreconditionError(fmt::format(
            "work folder '{}' holds a plan for other inputs or options (plan {}, this one {}); use another --work "
            "folder or pass --replace to discard it and its task outputs",
            dir_, old.ok() ? old->id : "damaged", plan.id));
      for (const std::string& c : children) {
        if (c == "plan.json" || c == "split.json" || c == "finalized.json" || c == ".scratch" ||
            c.starts_with("map-") || c.starts_with("reduce-"))
          RETURN_IF_ERROR(env_->RemoveAll(Path(c)));
      }
    }
  }
  RETURN_IF_ERROR(env_->CreateDirs(dir_));
  return WriteStringToFileAtomic(env_, plan.ToJson(), path);
}

absl::StatusOr<BuildPlan> WorkFolder::LoadPlan() const {
  const std::string path = Path("plan.json");
  if (!env_->FileExists(path))
    return absl::FailedPreconditionError(
        fmt::format("work folder '{}' holds no plan ('{}' is missing); run `proberows plan` first", dir_, path));
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(env_, path));
  return BuildPlan::FromJson(text, path);
}

absl::Status WorkFolder::Commit(const std::string& task, const std::string& attempt, const std::string& json) {
  RETURN_IF_ERROR(WriteStringToFileAtomic(env_, json, Path(task + ".json")));
  // Earlier attempts of this task are garbage now.
  if (env_->FileExists(Path(task))) {
    absl::StatusOr<std::vector<std::string>> children = env_->GetChildren(Path(task));
    if (children.ok())
      for (const std::string& c : *children)
        if (c != attempt) (void)env_->RemoveAll(Path(task + "/" + c));
  }
  return absl::OkStatus();
}

absl::Status WorkFolder::SaveMap(const MapResult& r, const std::string& attempt, const TaskStats& stats) {
  FileTable files(dir_);
  for (const std::string& f : r.files) files.Index(f);
  Json parts = Json::array();
  for (const Partition& p : r.partitions) {
    if (p.records == 0 && p.key_runs.empty()) continue;
    parts.push_back({{"p", p.index},
                     {"records", p.records},
                     {"bytes", p.bytes},
                     {"blocks", files.Blocks(p.blocks)},
                     {"keys", files.Blocks(p.key_runs)}});
  }
  Json file_list = Json::array();
  for (const std::string& name : files.names()) {
    ASSIGN_OR_RETURN(uint64_t size, env_->GetFileSize(Path(name)));
    file_list.push_back({{"name", name}, {"bytes", size}});
  }
  Json j;
  j["format"] = kMapFormat;
  j["plan"] = r.plan_id;
  j["task"] = r.task;
  j["tasks"] = r.tasks;
  j["attempt"] = attempt;
  j["rows"] = r.rows;
  j["partition_count"] = r.partitions.size();
  j["files"] = file_list;
  j["partitions"] = parts;
  j["stats"] = StatsJson(stats);
  return Commit(TaskName("map", r.task, r.tasks), attempt, j.dump() + "\n");
}

absl::StatusOr<MapResult> WorkFolder::LoadMap(const BuildPlan& plan, int task) const {
  std::string who;
  ASSIGN_OR_RETURN(Json j, ReadTaskManifest(env_, Path(TaskName("map", task, plan.map_tasks) + ".json"), "map",
                                            kMapFormat, task, plan.map_tasks, plan.id, &who));
  MapResult r;
  r.plan_id = plan.id;
  r.task = task;
  r.tasks = plan.map_tasks;
  try {
    r.rows = GetField<uint64_t>(j, "rows");
    if (GetField<size_t>(j, "partition_count") != (size_t{1} << plan.partition_bits))
      return absl::DataLossError(fmt::format("{}: manifest does not match the plan", who));
    std::vector<std::string> paths;
    for (const Json& f : j.at("files")) {
      const std::string file = Path(GetField<std::string>(f, "name"));
      const uint64_t want = GetField<uint64_t>(f, "bytes");
      absl::StatusOr<uint64_t> size = env_->GetFileSize(file);
      if (!size.ok())
        return absl::FailedPreconditionError(
            fmt::format("{}: file '{}' is missing; rerun map task {}", who, file, task));
      if (*size != want)
        return absl::FailedPreconditionError(
            fmt::format("{}: file '{}' is {} bytes, {} when written (partial or replaced); rerun map task {}", who,
                        file, *size, want, task));
      paths.push_back(file);
      r.files.push_back(file);
    }
    auto blocks = [&](const Json& list) {
      std::vector<BlockRef> out;
      for (const Json& b : list)
        out.push_back(
            BlockRef{paths.at(b.at(0).get<size_t>()), b.at(1).get<uint64_t>(), b.at(2).get<uint64_t>(), nullptr});
      return out;
    };
    r.partitions.resize(size_t{1} << plan.partition_bits);
    for (size_t i = 0; i < r.partitions.size(); ++i) {
      r.partitions[i].bits = plan.partition_bits;
      r.partitions[i].index = i;
    }
    for (const Json& p : j.at("partitions")) {
      Partition& part = r.partitions.at(GetField<size_t>(p, "p"));
      part.records = GetField<uint64_t>(p, "records");
      part.bytes = GetField<uint64_t>(p, "bytes");
      part.blocks = blocks(p.at("blocks"));
      part.key_runs = blocks(p.at("keys"));
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(
        fmt::format("{}: damaged manifest ({}); rerun map task {}", who, JsonErrorMessage(e), task));
  }
  return r;
}

absl::Status WorkFolder::SaveSplit(const SplitResult& s, const TaskStats& stats) {
  Json j;
  j["format"] = kSplitFormat;
  j["plan"] = s.plan_id;
  j["measurements"] = s.measurements;
  j["keys"] = s.keys;
  j["partition_keys"] = s.partition_keys;
  j["partition_records"] = s.partition_records;
  j["split"] = {{"num_keys", s.split.num_keys},
                {"num_test", s.split.num_test},
                {"num_train", s.split.num_train},
                {"test_shards", s.split.test_shards},
                {"train_shards", s.split.train_shards}};
  Json reduce = Json::array();
  for (const ReduceAssignment& a : s.reduce)
    reduce.push_back({{"shards", {a.shard_begin, a.shard_end}}, {"rows", {a.row_begin, a.row_end}}});
  j["reduce"] = reduce;
  j["stats"] = StatsJson(stats);
  j["xxh3_64"] = SplitChecksum(j);
  return WriteStringToFileAtomic(env_, j.dump() + "\n", Path("split.json"));
}

absl::StatusOr<SplitResult> WorkFolder::LoadSplit(const BuildPlan& plan) const {
  const std::string path = Path("split.json");
  ASSIGN_OR_RETURN(Json j, ReadJson(env_, path,
                                    fmt::format("the split stage has not run ('{}' is missing); run `proberows "
                                                "split`",
                                                path)));
  SplitResult s;
  try {
    if (GetField<std::string>(j, "format") != kSplitFormat)
      return absl::DataLossError(
          fmt::format("'{}' is not a split manifest this proberows reads (format {}, not {}); "
                      "rerun `proberows split`",
                      path, j.at("format").dump(), kSplitFormat));
    // Edited by hand or damaged: the reduce tasks would write, and finalize
    // publish, another split than the one the keys were counted for.
    const std::string checksum = GetField<std::string>(j, "xxh3_64");
    if (checksum != SplitChecksum(j))
      return absl::DataLossError(fmt::format(
          "'{}' was edited or damaged after the split stage wrote it (its checksum {} does not match its contents); "
          "rerun `proberows split`",
          path, checksum));
    s.plan_id = GetField<std::string>(j, "plan");
    if (s.plan_id != plan.id)
      return absl::FailedPreconditionError(
          fmt::format("the split stage's output ('{}') was made for another plan ({}, not {}); rerun it", path,
                      s.plan_id, plan.id));
    s.measurements = GetField<uint64_t>(j, "measurements");
    s.keys = GetField<uint64_t>(j, "keys");
    s.partition_keys = GetField<std::vector<uint64_t>>(j, "partition_keys");
    s.partition_records = GetField<std::vector<uint64_t>>(j, "partition_records");
    const Json& sp = j.at("split");
    s.split.num_keys = GetField<uint64_t>(sp, "num_keys");
    s.split.num_test = GetField<uint64_t>(sp, "num_test");
    s.split.num_train = GetField<uint64_t>(sp, "num_train");
    s.split.test_shards = GetField<int>(sp, "test_shards");
    s.split.train_shards = GetField<int>(sp, "train_shards");
    for (const Json& a : j.at("reduce")) {
      ReduceAssignment r;
      r.shard_begin = a.at("shards").at(0).get<int>();
      r.shard_end = a.at("shards").at(1).get<int>();
      r.row_begin = a.at("rows").at(0).get<uint64_t>();
      r.row_end = a.at("rows").at(1).get<uint64_t>();
      s.reduce.push_back(r);
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("'{}' is damaged ({}); rerun `proberows split`", path, JsonErrorMessage(e)));
  }
  if (const std::string problem = SplitInconsistency(plan, s); !problem.empty())
    return absl::DataLossError(
        fmt::format("'{}' does not match the plan ({}); rerun `proberows split`", path, problem));
  return s;
}

absl::Status WorkFolder::SaveReduce(const ReduceResult& r, const std::string& attempt, const TaskStats& stats) {
  const std::string task = TaskName("reduce", r.task, r.tasks);
  Json shards = Json::array();
  for (const ShardStats& sh : r.shards) {
    shards.push_back({{"file", sh.file},
                      {"rows", sh.rows},
                      {"keys", sh.keys},
                      {"measurements", sh.measurements},
                      {"row_bytes", sh.row_bytes},
                      {"file_bytes", sh.file_bytes},
                      {"xxh3_64", sh.xxh3},
                      {"min_row_bytes", sh.min_row_bytes},
                      {"max_row_bytes", sh.max_row_bytes},
                      {"min_measurements", sh.min_measurements},
                      {"max_measurements", sh.max_measurements}});
  }
  Json j;
  j["format"] = kReduceFormat;
  j["plan"] = r.plan_id;
  j["task"] = r.task;
  j["tasks"] = r.tasks;
  j["attempt"] = attempt;
  j["dir"] = task + "/" + attempt;
  j["shard_begin"] = r.shard_begin;
  j["shards"] = shards;
  j["rows"] = r.rows;
  j["measurements"] = r.measurements;
  j["partitions"] = r.partitions;
  j["stats"] = StatsJson(stats);
  if (r.statistics != nullptr) j["statistics"] = r.statistics->State();
  return Commit(task, attempt, j.dump() + "\n");
}

absl::StatusOr<ReduceResult> WorkFolder::LoadReduce(const BuildPlan& plan, int task, std::string* shard_dir) const {
  std::string who;
  ASSIGN_OR_RETURN(Json j, ReadTaskManifest(env_, Path(TaskName("reduce", task, plan.reduce_tasks) + ".json"), "reduce",
                                            kReduceFormat, task, plan.reduce_tasks, plan.id, &who));
  ReduceResult r;
  r.plan_id = plan.id;
  r.task = task;
  r.tasks = plan.reduce_tasks;
  try {
    *shard_dir = Path(GetField<std::string>(j, "dir"));
    r.shard_begin = GetField<int>(j, "shard_begin");
    r.rows = GetField<uint64_t>(j, "rows");
    r.measurements = GetField<uint64_t>(j, "measurements");
    r.partitions = GetField<int>(j, "partitions");
    if (j.contains("statistics")) r.statistics_state = j.at("statistics").dump();
    for (const Json& s : j.at("shards")) {
      ShardStats sh;
      sh.file = GetField<std::string>(s, "file");
      sh.rows = GetField<uint64_t>(s, "rows");
      sh.keys = GetFieldOr<uint64_t>(s, "keys", sh.rows);  // absent before cut rows: one key per row
      sh.measurements = GetField<uint64_t>(s, "measurements");
      sh.row_bytes = GetField<uint64_t>(s, "row_bytes");
      sh.file_bytes = GetField<uint64_t>(s, "file_bytes");
      sh.xxh3 = GetField<std::string>(s, "xxh3_64");
      sh.min_row_bytes = GetField<uint64_t>(s, "min_row_bytes");
      sh.max_row_bytes = GetField<uint64_t>(s, "max_row_bytes");
      sh.min_measurements = GetField<uint64_t>(s, "min_measurements");
      sh.max_measurements = GetField<uint64_t>(s, "max_measurements");
      r.shards.push_back(std::move(sh));
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(
        fmt::format("{}: damaged manifest ({}); rerun reduce task {}", who, JsonErrorMessage(e), task));
  }
  return r;
}

absl::StatusOr<TaskStats> WorkFolder::LoadStats(const std::string& manifest) const {
  ASSIGN_OR_RETURN(Json j, ReadJson(env_, Path(manifest), fmt::format("'{}' is missing", Path(manifest))));
  TaskStats s;
  try {
    const Json& st = j.at("stats");
    s.seconds = GetField<double>(st, "seconds");
    s.peak_rss_bytes = GetField<uint64_t>(st, "peak_rss_bytes");
    s.bytes_read = GetField<uint64_t>(st, "bytes_read");
    s.bytes_written = GetField<uint64_t>(st, "bytes_written");
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("'{}' is damaged ({})", Path(manifest), JsonErrorMessage(e)));
  }
  return s;
}

absl::Status WorkFolder::RemoveTaskData() {
  ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir_));
  for (const std::string& c : children) {
    if (c == ".scratch" || ((c.starts_with("map-") || c.starts_with("reduce-")) && !c.ends_with(".json")))
      RETURN_IF_ERROR(env_->RemoveAll(Path(c)));
  }
  return absl::OkStatus();
}

}  // namespace proberows
