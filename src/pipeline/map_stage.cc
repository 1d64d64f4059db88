#include "pipeline/map_stage.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "group/record.h"
#include "source/locate_input.h"
#include "source/native_ping.h"
#include "source/parallel_scan.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

// Counts the records of each partition and hands their keys on (sequential).
class CountingPartitioner final : public RecordSink {
 public:
  CountingPartitioner(int bits, KeyCollector* keys) : bits_(bits), keys_(keys), parts_(size_t{1} << bits) {
    for (size_t i = 0; i < parts_.size(); ++i) {
      parts_[i].bits = bits;
      parts_[i].index = i;
    }
  }
  absl::Status Add(uint64_t key_hash, std::string_view record) override {
    const int p = PartitionOf(key_hash, bits_);
    ++parts_[static_cast<size_t>(p)].records;
    parts_[static_cast<size_t>(p)].bytes += record.size();
    return keys_->Add(static_cast<size_t>(p), RecordView{record.data()}.key());
  }
  std::vector<Partition> Finish() { return std::move(parts_); }

 private:
  int bits_;
  KeyCollector* keys_;
  std::vector<Partition> parts_;
};

// The per-thread sinks of a map task's scan: a partitioner and a key
// collector per DuckDB thread.
class MapSinks final : public ScanSinks {
 public:
  MapSinks(Env* env, std::string dir, MapMode mode, bool int_keys, int bits, uint64_t spill_buffer, uint64_t key_memory,
           uint64_t memory_max, SpillKeep* keep)
      : env_(env),
        dir_(std::move(dir)),
        mode_(mode),
        int_keys_(int_keys),
        bits_(bits),
        spill_buffer_(spill_buffer),
        key_memory_(key_memory),
        memory_max_(memory_max),
        keep_(keep) {}

  absl::StatusOr<RecordSink*> NewSink(int t) override {
    keys_.push_back(
        std::make_unique<KeyCollector>(env_, fmt::format("{}/t{}.keys", dir_, t), int_keys_, bits_, key_memory_));
    KeyCollector* keys = keys_.back().get();
    switch (mode_) {
      case MapMode::kSpill:
        spill_.push_back(
            std::make_unique<SpillPartitioner>(env_, fmt::format("{}/t{}.spill", dir_, t), bits_, spill_buffer_, keys,
                                               /*shift_bits=*/0, /*base_index=*/0, SpillBlockOptions(), keep_));
        return spill_.back().get();
      case MapMode::kMemory:
        memory_.push_back(std::make_unique<MemoryPartitioner>(bits_, memory_max_, &memory_held_, keys));
        return memory_.back().get();
      case MapMode::kKeysOnly:
        counting_.push_back(std::make_unique<CountingPartitioner>(bits_, keys));
        return counting_.back().get();
    }
    return absl::InternalError("unknown map mode");
  }

  // Closes every sink; merges their partitions into `*result`.
  absl::Status Finish(MapResult* result) {
    result->partitions.assign(size_t{1} << bits_, Partition());
    for (size_t i = 0; i < result->partitions.size(); ++i) {
      result->partitions[i].bits = bits_;
      result->partitions[i].index = i;
    }
    auto merge = [&](std::vector<Partition> parts) {
      for (Partition& p : parts) result->partitions[p.index].Absorb(std::move(p));
    };
    for (auto& s : spill_) {
      ASSIGN_OR_RETURN(std::vector<Partition> parts, s->Finish());
      result->spill_bytes += s->bytes_written();
      result->spill_kept_bytes += s->bytes_kept();
      merge(std::move(parts));
      s.reset();
    }
    for (auto& m : memory_) {
      merge(m->Finish());
      m.reset();
    }
    for (auto& c : counting_) merge(c->Finish());
    for (auto& k : keys_) {
      ASSIGN_OR_RETURN(std::vector<std::vector<BlockRef>> runs, k->Finish());
      result->key_bytes += k->bytes_written();
      result->key_flushes += k->flushes();
      for (size_t p = 0; p < runs.size(); ++p)
        for (BlockRef& b : runs[p]) result->partitions[p].key_runs.push_back(std::move(b));
    }
    // Files written, in a stable order.
    for (size_t t = 0; t < keys_.size(); ++t) {
      for (const char* ext : {"spill", "keys"}) {
        const std::string path = fmt::format("{}/t{}.{}", dir_, t, ext);
        if (env_->FileExists(path)) result->files.push_back(path);
      }
    }
    return absl::OkStatus();
  }

 private:
  Env* env_;
  std::string dir_;
  MapMode mode_;
  bool int_keys_;
  int bits_;
  uint64_t spill_buffer_;
  uint64_t key_memory_;
  uint64_t memory_max_;
  SpillKeep* keep_;
  std::vector<std::unique_ptr<KeyCollector>> keys_;
  std::vector<std::unique_ptr<SpillPartitioner>> spill_;
  std::vector<std::unique_ptr<MemoryPartitioner>> memory_;
  std::vector<std::unique_ptr<CountingPartitioner>> counting_;
  std::atomic<uint64_t> memory_held_{0};
};

// "key column 'k' is NULL" -> "key column 'k' is NULL in N of M rows", counted
// over `from` (k the key or a part of a composite key).
absl::Status CountNullKeys(DuckDb* db, const SourceSchema& schema, const std::string& from, absl::Status error) {
  const std::string message = StatusMessage(error);
  // A composite key names the part that is NULL; its nulls are counted.
  std::string key_sql;
  if (message == fmt::format("key column '{}' is NULL", schema.columns[0].name)) key_sql = schema.key_expr;
  for (const int part : schema.key_parts) {
    const SourceColumn& c = schema.columns[static_cast<size_t>(part)];
    if (message == fmt::format("key column '{}' is NULL", c.name)) key_sql = c.value_sql;
  }
  if (key_sql.empty()) return error;
  absl::StatusOr<QueryResult> r =
      db->Query(fmt::format("SELECT count(*), count(*) - count(k) FROM (SELECT {} AS k FROM {} AS t)", key_sql, from));
  if (!r.ok()) return error;
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok() || !chunk->valid() || chunk->size() != 1) return error;
  const int64_t all = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(0)))[0];
  const int64_t nulls = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(1)))[0];
  return absl::Status(error.code(), fmt::format("{} in {} of {} rows", message, nulls, all));
}

}  // namespace

uint64_t ProcessBytesRead() {
  std::ifstream io("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value)
    if (name == "rchar:") return value;
  return 0;
}

absl::StatusOr<MapResult> RunMap(const BuildPlan& plan, int task, const SourceSchema& schema, MapMode mode,
                                 const std::string& out_dir, DuckDb* db, const TaskContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t read_before = ProcessBytesRead();
  MapResult result;
  result.plan_id = plan.id;
  result.task = task;
  result.tasks = plan.map_tasks;
  const int bits = plan.partition_bits;

  const std::vector<int> files = MapFiles(plan, task);
  RETURN_IF_ERROR(CheckInputsUnchanged(ctx.env, plan, files));
  const std::string from = MapFromItem(plan, schema, task);

  bool rows_known = false;
  const uint64_t planned_rows = plan.MapRows(task, &rows_known);
  const uint64_t expected_rows =
      rows_known ? planned_rows : plan.estimated_rows / static_cast<uint64_t>(plan.map_tasks);

  const uint64_t limit = ctx.memory_limit;
  const uint64_t duckdb_limit = DuckDbMemory(limit);
  const int threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(ctx.workers),
                                                          std::max<uint64_t>(1, duckdb_limit / kDuckDbBytesPerThread)));
  // A quarter of the budget buffers records, shared by the scanning threads;
  // an eighth holds the key sets.
  const uint64_t spill_buffer =
      std::clamp<uint64_t>((limit / 4 / static_cast<uint64_t>(threads)) >> bits, 32u << 10, 8u << 20);
  const uint64_t key_memory = std::max<uint64_t>(1 << 20, limit / 8 / static_cast<uint64_t>(threads));
  uint64_t memory_max = 0;
  if (mode == MapMode::kMemory) {
    const uint64_t usable = limit > kBaseReserve + duckdb_limit ? limit - kBaseReserve - duckdb_limit : 0;
    const uint64_t estimate = static_cast<uint64_t>(plan.record_bytes * static_cast<double>(expected_rows));
    const uint64_t need = static_cast<uint64_t>(static_cast<double>(estimate) * 1.3);
    if (need > usable)
      return absl::ResourceExhaustedError(
          fmt::format("the in-memory strategy needs about {} for {} measurements, more than --memory-limit {} allows; "
                      "use --strategy streaming (the default) or raise --memory-limit",
                      FormatBytes(need + kBaseReserve + duckdb_limit), expected_rows, FormatBytes(limit)));
    memory_max = static_cast<uint64_t>(static_cast<double>(usable) / 1.3);
  }

  // Spill blocks of the first partitions kept in memory (build): as many
  // partitions as the budget holds at about 2x compression.
  SpillKeep keep;
  if (mode == MapMode::kSpill && ctx.spill_keep_bytes > 0) {
    const double partition_bytes =
        plan.record_bytes * static_cast<double>(expected_rows) / static_cast<double>(uint64_t{1} << bits);
    keep.max_bytes = ctx.spill_keep_bytes;
    keep.partitions =
        partition_bytes > 0 ? static_cast<uint64_t>(static_cast<double>(keep.max_bytes) / (partition_bytes / 2)) : 0;
  }
  MapSinks sinks(ctx.env, out_dir, mode, !schema.key_is_string, bits, spill_buffer, key_memory, memory_max,
                 keep.partitions > 0 ? &keep : nullptr);
  ParallelScanOptions scan_options;
  scan_options.seed = plan.options.seed;
  scan_options.null_lists_as_empty = plan.options.null_lists_as_empty;
  if (ctx.monitor != nullptr) {
    scan_options.cancel = &ctx.monitor->cancel;
    scan_options.rows_scanned = &ctx.monitor->measurements_scanned;
  }
  if (plan.options.json_reader == "native" && !files.empty()) {
    RETURN_IF_ERROR(CheckNativePing(plan.options, schema));
    std::vector<std::string> paths;
    for (int f : files) paths.push_back(plan.inputs[static_cast<size_t>(f)].path);
    absl::StatusOr<uint64_t> scanned = NativePingScan(schema, paths, scan_options, threads, &sinks);
    // A NULL the output cannot hold is reported as on the DuckDB path (every
    // such column, counted); the rest name the file and line themselves.
    if (!scanned.ok()) {
      if (absl::IsCancelled(scanned.status())) return scanned.status();
      return AddInputFile(schema, CountNullKeys(db, schema, from, scanned.status()));
    }
    result.rows = *scanned;
  } else if (!from.empty()) {
    SourceSchema scan = schema;
    scan.select_sql = schema.SelectFrom(from);
    absl::StatusOr<uint64_t> scanned = ParallelScan(db, scan, scan_options, &sinks);
    if (!scanned.ok()) {
      if (absl::IsCancelled(scanned.status())) return scanned.status();
      return AddInputFile(schema, CountNullKeys(db, schema, from, scanned.status()));
    }
    if (rows_known && *scanned != planned_rows)
      return absl::InternalError(fmt::format("scanned {} measurements but the plan counted {}; did the input change?",
                                             *scanned, planned_rows));
    result.rows = *scanned;
  }
  RETURN_IF_ERROR(sinks.Finish(&result));
  result.bytes_read = ProcessBytesRead() - read_before;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace proberows
