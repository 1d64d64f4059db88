#include "pipeline/reduce_stage.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "group/grouper.h"
#include "group/key_list.h"
#include "group/row_cut.h"
#include "pipeline/dataset_writer.h"
#include "source/key_codec.h"
#include "source/locate_input.h"
#include "source/row_converter.h"
#include "util/large_buffer.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {

namespace {

KeyHasher Hasher(const ReduceInput& in) {
  KeyHasher h;
  h.key_is_string = in.schema->key_is_string;
  h.seed = in.plan->options.seed;
  return h;
}

int CeilLog2(uint64_t n) {
  int b = 0;
  while ((uint64_t{1} << b) < n && b < 63) ++b;
  return b;
}

// Buffers of one in-flight partition, recycled from partition to partition
// so that steady-state grouping allocates nothing (fresh ~100 MB buffers
// cost more in page faults than the work done in them).
struct GroupWork {
  std::string spilled;  // spill blocks' records (only the first `used` bytes)
  SpillReadScratch read;
  EncodedRows rows;
  GroupScratch scratch;
  // The statistics of `rows` (every row counted as train), gathered on the
  // worker; null when the build gathers none.
  std::unique_ptr<DatasetStatistics> stats;

  // Gives back buffers grown past `bytes` (by a partition larger than the
  // budget's share, e.g. one huge key), so that a few such partitions do not
  // hold the process above its limit for the rest of the reduce.
  void ReleaseAbove(uint64_t bytes) {
    if (spilled.capacity() > bytes) std::string().swap(spilled);
    if (read.stored.capacity() > bytes) std::string().swap(read.stored);
    if (rows.data.capacity() > bytes) rows.data = ByteBuffer();
    if (scratch.refs.capacity() * sizeof(GroupRef) > bytes) std::vector<GroupRef>().swap(scratch.refs);
  }
};

// The statistics of a partition's encoded rows, every row counted as train
// (RowOutput::AddRows puts them where the rows land). Runs on the worker that
// encoded them, so the writer thread does not parse every row again.
absl::Status GatherStatistics(const EncodedRows& rows, DatasetStatistics* stats) {
  stats->Clear();
  for (size_t i = 0; i < rows.size(); ++i)
    RETURN_IF_ERROR(stats->AddRow(/*test=*/false, rows.row(i), rows.measurements[i]));
  return absl::OkStatus();
}

// One partition being grouped on a worker.
struct GroupTask {
  Partition part;
  uint64_t bytes = 0;  // the partition's record bytes
  GroupWork* work = nullptr;
  absl::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
};

// Where grouped rows go: the global row index of the next row, and the
// writer, which takes the rows in [writer->first_row(), writer->end_row()).
// Global rows are keys: a cut row continuing its key (group/row_cut.h) goes
// where the key's first row went.
struct RowOutput {
  DatasetWriter* writer;
  uint64_t next_row;
  uint64_t measurements = 0;  // of the rows written

  absl::Status Add(std::string_view row, uint32_t measurements_in_row, BuildMonitor* monitor,
                   bool gather_statistics = true, bool continues_key = false) {
    const uint64_t g = continues_key ? next_row - 1 : next_row++;
    if (g < writer->first_row() || g >= writer->end_row()) return absl::OkStatus();
    RETURN_IF_ERROR(writer->Add(row, measurements_in_row, gather_statistics, continues_key));
    measurements += measurements_in_row;
    if (monitor != nullptr) {
      monitor->rows_written.fetch_add(1, std::memory_order_relaxed);
      monitor->measurements_written.fetch_add(measurements_in_row, std::memory_order_relaxed);
    }
    return absl::OkStatus();
  }

  // Adds a partition's rows. `gathered` (may be null) holds their statistics,
  // every row counted as train; they are merged at once when all the rows
  // land in this writer and in one split (exact statistics: the same bytes
  // as adding row by row), else the writer gathers them row by row.
  absl::Status AddRows(const EncodedRows& rows, const DatasetStatistics* gathered, BuildMonitor* monitor) {
    const uint64_t begin = next_row, end = next_row + rows.keys();
    const uint64_t num_test = writer->plan().num_test;
    const bool whole = gathered != nullptr && writer->statistics() != nullptr && begin >= writer->first_row() &&
                       end <= writer->end_row() && (end <= num_test || begin >= num_test);
    for (size_t i = 0; i < rows.size(); ++i)
      RETURN_IF_ERROR(
          Add(rows.row(i), rows.measurements[i], monitor, /*gather_statistics=*/!whole, rows.continues_key(i)));
    if (whole) writer->statistics()->MergeSplit(/*test=*/end <= num_test, gathered->split(/*test=*/false));
    return absl::OkStatus();
  }
};

// Groups `parts` (in hash order) on the context's workers and hands the rows
// in order to `out`. At most `max_inflight` partitions are in memory at once,
// holding together at most `max_inflight * target` record bytes (the memory
// budget's assumption, plan/memory_budget.h), except that one partition is
// always let in: a partition larger than `target` (a huge key) is grouped
// with fewer or no others beside it.
absl::Status GroupPartitions(std::vector<Partition>* parts, const ExampleEncoder& encoder, const KeyHasher& hasher,
                             const RowCut* cut, size_t max_inflight, uint64_t target, RowOutput* out,
                             const TaskContext& ctx) {
  std::atomic<bool> abort{false};
  absl::Status status;
  Env* env = ctx.env;
  {
    std::vector<std::unique_ptr<GroupWork>> works(max_inflight);
    std::vector<GroupWork*> free_works;
    for (auto& w : works) {
      w = std::make_unique<GroupWork>();
      if (out->writer->statistics() != nullptr)
        w->stats = std::make_unique<DatasetStatistics>(out->writer->statistics()->Empty());
      free_works.push_back(w.get());
    }
    ThreadPool pool(std::max(1, ctx.workers));
    std::deque<std::shared_ptr<GroupTask>> inflight;
    const uint64_t budget = target * max_inflight;
    uint64_t inflight_bytes = 0;
    auto drain_front = [&]() -> absl::Status {
      std::shared_ptr<GroupTask> t = inflight.front();
      inflight.pop_front();
      inflight_bytes -= t->bytes;
      {
        std::unique_lock<std::mutex> lock(t->mu);
        t->cv.wait(lock, [&] { return t->done; });
      }
      free_works.push_back(t->work);
      RETURN_IF_ERROR(t->status);
      absl::Status added = out->AddRows(t->work->rows, t->work->stats.get(), ctx.monitor);
      t->work->ReleaseAbove(2 * target);
      return added;
    };
    for (Partition& p : *parts) {
      if (!status.ok()) break;
      status = ctx.Cancelled();
      if (!status.ok()) break;
      while (!inflight.empty() && (inflight.size() >= max_inflight || inflight_bytes + p.bytes > budget) && status.ok())
        status = drain_front();
      if (!status.ok()) break;
      auto task = std::make_shared<GroupTask>();
      task->bytes = p.bytes;
      inflight_bytes += p.bytes;
      task->part = std::move(p);
      task->work = free_works.back();  // inflight < max_inflight: one is free
      free_works.pop_back();
      inflight.push_back(task);
      pool.Schedule([task, env, &encoder, &hasher, cut, &abort] {
        absl::Status st;
        if (!abort.load()) {
          GroupWork& w = *task->work;
          w.rows.Clear();
          std::string_view data = task->part.data;
          if (!task->part.blocks.empty()) {
            size_t used = 0;
            if (w.spilled.size() < task->part.bytes) {
              ReserveDiscarding(&w.spilled, task->part.bytes);
              w.spilled.resize(task->part.bytes);
            }
            st = ReadSpillBlocksInto(env, task->part.blocks, &w.spilled, &used, &w.read);
            task->part.blocks.clear();  // blocks kept in memory are freed here
            data = std::string_view(w.spilled.data(), used);
          }
          // Rows take fewer bytes than their records (the per-column
          // length bytes go); more only grows the buffer.
          w.rows.data.ReserveDiscarding(data.size());
          ReserveDiscarding(&w.scratch.refs, task->part.records);
          if (st.ok()) st = GroupAndEncode(data, encoder, hasher, &w.rows, &w.scratch, cut);
          if (st.ok() && w.stats != nullptr) st = GatherStatistics(w.rows, w.stats.get());
          std::string().swap(task->part.data);
        }
        std::lock_guard<std::mutex> lock(task->mu);
        task->status = st;
        task->done = true;
        task->cv.notify_all();
      });
    }
    while (!inflight.empty()) {
      if (!status.ok()) abort = true;
      absl::Status st = drain_front();
      if (status.ok()) status = st;
    }
  }  // joins the pool
  return status;
}

// The partitions of `in.maps` in [first, last], merged over the map tasks,
// with partitions too large for the budget re-split into `ctx.temp_dir`.
absl::StatusOr<std::vector<Partition>> GatherPartitions(const ReduceInput& in, size_t first, size_t last,
                                                        uint64_t target, const TaskContext& ctx) {
  std::vector<Partition> parts;
  for (size_t p = first; p <= last; ++p) {
    Partition merged;
    for (MapResult* m : in.maps) {
      Partition& src = m->partitions[p];
      merged.bits = src.bits;
      merged.index = src.index;
      merged.records += src.records;
      merged.bytes += src.bytes;
      merged.blocks.insert(merged.blocks.end(), src.blocks.begin(), src.blocks.end());
      if (merged.data.empty()) {
        merged.data = std::move(src.data);
      } else {
        merged.data.append(src.data);
      }
      std::string().swap(src.data);
    }
    if (merged.records == 0) continue;
    // In-memory records stay as they are: the in-memory strategy checked up
    // front that they fit.
    if (merged.blocks.empty() || merged.bytes <= target * 3 / 2) {
      parts.push_back(std::move(merged));
      continue;
    }
    RETURN_IF_ERROR(ctx.Cancelled());
    const int extra = std::min(12, std::max(1, CeilLog2((merged.bytes + target - 1) / target)));
    ASSIGN_OR_RETURN(std::vector<Partition> sub,
                     SplitPartition(ctx.env, merged, extra,
                                    fmt::format("{}/split{}-{}.spill", ctx.temp_dir, merged.bits, merged.index),
                                    1 << 20, Hasher(in)));
    for (Partition& s : sub)
      if (s.records > 0) parts.push_back(std::move(s));
  }
  return parts;
}

// Sequential: one DuckDB query per key, in output order.
absl::Status QueryPartitions(const ReduceInput& in, const RowCut* cut, size_t first, size_t last, RowOutput* out,
                             const TaskContext& ctx) {
  const SourceSchema& schema = *in.schema;
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, OpenTaskDuckDb(ctx));
  // Like the original script: the converted input as one table indexed by
  // key, then one query per key.
  if (absl::Status st = db->Execute("CREATE TEMP TABLE proberows_source AS " + schema.select_sql); !st.ok())
    return Annotate(st, "reading input");
  // A composite key is queried by its parts (c0 is a placeholder).
  std::string key_columns = "c0", key_match = "c0 = $1";
  std::vector<bool> part_is_string;
  for (size_t i = 0; i < schema.key_parts.size(); ++i) {
    const int c = schema.key_parts[i];
    key_columns = i == 0 ? fmt::format("c{}", c) : fmt::format("{}, c{}", key_columns, c);
    key_match = i == 0 ? fmt::format("c{} = ${}", c, i + 1) : fmt::format("{} AND c{} = ${}", key_match, c, i + 1);
    part_is_string.push_back(schema.columns[static_cast<size_t>(c)].physical == PhysicalType::kString);
  }
  RETURN_IF_ERROR(db->Execute(fmt::format("CREATE INDEX proberows_source_key ON proberows_source ({})", key_columns)));
  ASSIGN_OR_RETURN(std::unique_ptr<PreparedStatement> stmt,
                   db->Prepare("SELECT * FROM proberows_source WHERE " + key_match));
  std::vector<KeyPart> parts;
  RowConverter converter(schema, in.plan->options.seed, in.plan->options.null_lists_as_empty);
  struct Key {
    uint64_t hash;
    std::string sort_bytes;
  };
  class StringSink final : public RecordSink {
   public:
    absl::Status Add(uint64_t, std::string_view record) override {
      data.append(record.data(), record.size());
      return absl::OkStatus();
    }
    std::string data;
  };
  EncodedRows rows;
  GroupScratch scratch;
  for (size_t p = first; p <= last; ++p) {
    std::vector<BlockRef> runs;
    for (const MapResult* m : in.maps)
      runs.insert(runs.end(), m->partitions[p].key_runs.begin(), m->partitions[p].key_runs.end());
    ASSIGN_OR_RETURN(std::vector<std::string> sorted, ReadDistinctKeys(ctx.env, runs));
    if (sorted.size() != in.split->partition_keys[p])
      return absl::DataLossError(fmt::format("partition {}: {} keys in its key lists, {} counted by the split", p,
                                             sorted.size(), in.split->partition_keys[p]));
    std::vector<Key> keys;
    keys.reserve(sorted.size());
    for (std::string& k : sorted) {
      const uint64_t hash = HashKey(schema.key_is_string, k, in.plan->options.seed);
      keys.push_back(Key{hash, std::move(k)});
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.sort_bytes < b.sort_bytes;
    });
    for (const Key& k : keys) {
      RETURN_IF_ERROR(ctx.Cancelled());
      if (out->next_row < out->writer->first_row() || out->next_row >= out->writer->end_row()) {
        ++out->next_row;
        continue;
      }
      if (!part_is_string.empty()) {
        if (!DecodeCompositeKey(k.sort_bytes, part_is_string, &parts))
          return absl::DataLossError(fmt::format("partition {}: a malformed composite key in its key lists", p));
        for (size_t i = 0; i < parts.size(); ++i) {
          const uint64_t at = i + 1;
          RETURN_IF_ERROR(parts[i].is_string ? stmt->BindString(at, parts[i].string_value)
                                             : stmt->BindInt64(at, parts[i].int_value));
        }
      } else if (schema.key_is_string) {
        RETURN_IF_ERROR(stmt->BindString(1, k.sort_bytes));
      } else {
        RETURN_IF_ERROR(stmt->BindInt64(1, DecodeIntKey(k.sort_bytes)));
      }
      ASSIGN_OR_RETURN(QueryResult r, stmt->Execute());
      StringSink sink;
      for (;;) {
        ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
        if (!chunk.valid()) break;
        RETURN_IF_ERROR(AddInputFile(schema, converter.Convert(chunk, &sink)));
      }
      rows.Clear();
      RETURN_IF_ERROR(GroupAndEncode(sink.data, *in.encoder, Hasher(in), &rows, &scratch, cut));
      if (rows.keys() != 1) return absl::InternalError("a key query did not yield exactly one key");
      for (size_t i = 0; i < rows.size(); ++i)
        RETURN_IF_ERROR(out->Add(rows.row(i), rows.measurements[i], ctx.monitor, true, rows.continues_key(i)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReduceResult> RunReduce(const ReduceInput& in, int task, const std::string& shard_dir,
                                       const TaskContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const BuildPlan& plan = *in.plan;
  const SplitResult& split = *in.split;
  const ReduceAssignment& a = split.reduce[static_cast<size_t>(task)];
  ReduceResult result;
  result.plan_id = plan.id;
  result.task = task;
  result.tasks = plan.reduce_tasks;
  result.shard_begin = a.shard_begin;

  ASSIGN_OR_RETURN(std::unique_ptr<DatasetWriter> writer,
                   DatasetWriter::Open(ctx.env, shard_dir, plan.options.name, split.split, *in.ar_options,
                                       in.sequential ? 1 : ctx.workers, ShardRange{a.shard_begin, a.shard_end}));
  result.statistics = std::make_shared<DatasetStatistics>(in.encoder->Features(), plan.options.order_column);
  writer->set_statistics(result.statistics);
  ASSIGN_OR_RETURN(const RowCut cut, MakeRowCut(plan.options, *in.schema));
  const std::vector<uint64_t> begins = split.PartitionRowBegins();
  const size_t partitions = split.partition_keys.size();
  if (a.row_begin < a.row_end) {
    // The partitions holding rows [row_begin, row_end).
    size_t first = 0;
    while (begins[first + 1] <= a.row_begin) ++first;
    size_t last = first;
    while (last + 1 < partitions && begins[last + 1] < a.row_end) ++last;
    RowOutput out{writer.get(), begins[first]};
    if (in.sequential) {
      RETURN_IF_ERROR(QueryPartitions(in, &cut, first, last, &out, ctx));
    } else {
      const uint64_t target = TargetPartitionBytes(ctx.memory_limit, ctx.workers);
      ASSIGN_OR_RETURN(std::vector<Partition> parts, GatherPartitions(in, first, last, target, ctx));
      uint64_t largest = 0;
      for (const Partition& p : parts) largest = std::max(largest, p.bytes);
      const uint64_t limit = ctx.memory_limit;
      if (static_cast<double>(largest) * kGroupingFactor > static_cast<double>(limit - kBaseReserve)) {
        const uint64_t need = static_cast<uint64_t>(static_cast<double>(largest) * kGroupingFactor) + kBaseReserve;
        std::string who = LargestKey(*in.schema);
        return absl::ResourceExhaustedError(fmt::format(
            "a single key ({}) holds {} of measurement records, more than can be grouped within --memory-limit {}; "
            "raise --memory-limit to at least {}",
            who.empty() ? "unknown" : who, FormatBytes(largest), FormatBytes(limit),
            FormatBytes(((need >> 26) + 1) << 26)));
      }
      result.partitions = static_cast<int>(parts.size());
      RETURN_IF_ERROR(GroupPartitions(&parts, *in.encoder, Hasher(in), &cut, static_cast<size_t>(ctx.workers) + 1,
                                      target, &out, ctx));
    }
    if (out.next_row != begins[last + 1])
      return absl::DataLossError(fmt::format(
          "reduce task {}: partitions {}..{} hold {} keys, but the map tasks' key lists {}; are map outputs damaged?",
          task, first, last, out.next_row - begins[first], begins[last + 1] - begins[first]));
    result.measurements = out.measurements;
  }
  RETURN_IF_ERROR(writer->Finish());
  result.shards = writer->shards();
  result.rows = 0;  // the keys a.row_end - a.row_begin, unless rows are cut
  for (const ShardStats& sh : result.shards) result.rows += sh.rows;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace proberows
