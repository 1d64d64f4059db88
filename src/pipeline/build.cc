// Build(): wires source -> plan -> group -> example -> arrayrecord for the
// three strategies. See docs/design.md for the memory budget and ordering.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "group/grouper.h"
#include "group/partitioner.h"
#include "group/record.h"
#include "pipeline/dataset_writer.h"
#include "pipeline/metadata.h"
#include "pipeline/output_transaction.h"
#include "pipeline/stale_temp.h"
#include "plan/split_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"
#include "source/key_codec.h"
#include "source/locate_input.h"
#include "source/parallel_scan.h"
#include "source/row_converter.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {

const char* PhaseName(int phase) {
  switch (phase) {
    case BuildMonitor::kStarting: return "starting";
    case BuildMonitor::kCounting: return "counting";
    case BuildMonitor::kScanning: return "scanning";
    case BuildMonitor::kGrouping: return "grouping";
    case BuildMonitor::kFinishing: return "finishing";
    case BuildMonitor::kDone: return "done";
  }
  return "?";
}

uint64_t PeakRssBytes() {
  struct rusage ru;
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

namespace {

using Clock = std::chrono::steady_clock;

// Memory the process needs besides what the budget hands out: code, DuckDB's
// and the allocators' fixed costs, stacks.
constexpr uint64_t kBaseReserve = 64ull << 20;
// Bytes of working memory per byte of partition records while a partition is
// grouped: the records, the sort index and the encoded rows.
constexpr double kGroupingFactor = 2.5;
// The least memory per worker thread (see Build()).
constexpr uint64_t kBytesPerWorker = 32ull << 20;
// DuckDB memory one scanning thread may need (a row group of a wide table).
constexpr uint64_t kDuckDbBytesPerThread = 32ull << 20;

class StringSink final : public RecordSink {
 public:
  absl::Status Add(uint64_t, std::string_view record) override {
    data.append(record.data(), record.size());
    ++records;
    return absl::OkStatus();
  }
  std::string data;
  uint64_t records = 0;
};

// The per-thread partitioners of a parallel scan, merged by partition index
// afterwards (a partition's records may come from every thread).
class PartitionSinks final : public ScanSinks {
 public:
  Env* env = nullptr;
  std::string temp_dir;
  int bits = 0;
  bool in_memory = false;
  uint64_t spill_buffer = 0;   // streaming: per-partition buffer of each thread
  uint64_t memory_max = 0;     // in-memory: bytes all threads may hold
  uint64_t spilled_bytes = 0;  // set by Finish()

  absl::StatusOr<RecordSink*> NewSink(int thread_index) override {
    if (in_memory) {
      memory_.push_back(std::make_unique<MemoryPartitioner>(bits, memory_max, &memory_held_));
      return memory_.back().get();
    }
    spill_.push_back(std::make_unique<SpillPartitioner>(env, temp_dir, fmt::format("part-t{}", thread_index), bits, 0,
                                                        spill_buffer));
    return spill_.back().get();
  }

  // Closes every partitioner; returns the non-empty partitions in index order.
  absl::StatusOr<std::vector<Partition>> Finish() {
    std::vector<Partition> merged(size_t{1} << bits);
    auto merge = [&](Partition& p) {
      Partition& m = merged[p.index];
      m.bits = p.bits;
      m.index = p.index;
      m.bytes += p.bytes;
      m.records += p.records;
      for (std::string& path : p.paths) m.paths.push_back(std::move(path));
      if (m.data.empty()) {
        m.data = std::move(p.data);
      } else {
        m.data.append(p.data);
        std::string().swap(p.data);
      }
    };
    for (auto& spill : spill_) {
      ASSIGN_OR_RETURN(std::vector<Partition> parts, spill->Finish());
      spilled_bytes += spill->bytes_added();
      for (Partition& p : parts) merge(p);
      spill.reset();
    }
    for (auto& memory : memory_) {
      std::vector<Partition> parts = memory->Finish();
      for (Partition& p : parts) merge(p);
      memory.reset();
    }
    std::vector<Partition> out;
    for (Partition& p : merged)
      if (p.records > 0) out.push_back(std::move(p));
    return out;
  }

 private:
  std::vector<std::unique_ptr<SpillPartitioner>> spill_;
  std::vector<std::unique_ptr<MemoryPartitioner>> memory_;
  std::atomic<uint64_t> memory_held_{0};
};

// Mean bytes of one converted record, from the first chunk of the input.
absl::StatusOr<double> SampleRecordSize(DuckDb* db, const SourceSchema& schema, RowConverter* converter) {
  // Materialized, not streamed: see the NOTE in source/parallel_scan.cc.
  ASSIGN_OR_RETURN(QueryResult r,
                   db->Query(fmt::format("SELECT * FROM ({}) AS proberows_sample LIMIT 2048", schema.select_sql)));
  ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
  StringSink sink;
  if (chunk.valid()) RETURN_IF_ERROR(converter->Convert(chunk, &sink));
  if (sink.records == 0) return absl::InternalError("the input sample returned no rows");
  return static_cast<double>(sink.data.size()) / static_cast<double>(sink.records);
}

absl::Status Cancelled(const BuildMonitor* m) {
  if (m != nullptr && m->cancel.load(std::memory_order_relaxed))
    return absl::CancelledError("interrupted; no output was written");
  return absl::OkStatus();
}

struct InputCounts {
  uint64_t measurements = 0;
  uint64_t keys = 0;
  uint64_t null_keys = 0;
};

absl::StatusOr<InputCounts> CountInput(DuckDb* db, const SourceSchema& schema) {
  ASSIGN_OR_RETURN(QueryResult r,
                   db->Query(fmt::format("SELECT count(*), count(DISTINCT k), count(*) - count(k) FROM (SELECT {} AS k "
                                         "FROM {} AS t)",
                                         schema.key_expr, schema.from_clause)));
  ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
  if (!chunk.valid() || chunk.size() != 1) return absl::InternalError("counting query returned no row");
  InputCounts c;
  c.measurements = static_cast<uint64_t>(static_cast<int64_t*>(duckdb_vector_get_data(chunk.column(0)))[0]);
  c.keys = static_cast<uint64_t>(static_cast<int64_t*>(duckdb_vector_get_data(chunk.column(1)))[0]);
  c.null_keys = static_cast<uint64_t>(static_cast<int64_t*>(duckdb_vector_get_data(chunk.column(2)))[0]);
  return c;
}

// Buffers of one in-flight partition, recycled from partition to partition
// so that steady-state grouping allocates nothing (fresh ~100 MB buffers
// cost more in page faults than the work done in them).
struct GroupWork {
  std::string spilled;  // spill file contents (only the first `used` bytes)
  EncodedRows rows;
  GroupScratch scratch;
};

// One partition being grouped on a worker.
struct GroupTask {
  Partition part;
  GroupWork* work = nullptr;
  absl::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
};

// Groups `parts` (in hash order) on `workers` threads, at most `max_inflight`
// partitions in memory at once, and writes the rows in order.
absl::Status GroupPartitions(Env* env, std::vector<Partition>* parts, const ExampleEncoder& encoder, bool key_is_string,
                             int workers, size_t max_inflight, DatasetWriter* writer, BuildMonitor* monitor) {
  std::atomic<bool> abort{false};
  absl::Status status;
  {
    std::vector<std::unique_ptr<GroupWork>> works(max_inflight);
    std::vector<GroupWork*> free_works;
    for (auto& w : works) {
      w = std::make_unique<GroupWork>();
      free_works.push_back(w.get());
    }
    ThreadPool pool(std::max(1, workers));
    std::deque<std::shared_ptr<GroupTask>> inflight;
    auto drain_front = [&]() -> absl::Status {
      std::shared_ptr<GroupTask> t = inflight.front();
      inflight.pop_front();
      {
        std::unique_lock<std::mutex> lock(t->mu);
        t->cv.wait(lock, [&] { return t->done; });
      }
      free_works.push_back(t->work);
      RETURN_IF_ERROR(t->status);
      const EncodedRows& rows = t->work->rows;
      for (size_t i = 0; i < rows.size(); ++i) {
        RETURN_IF_ERROR(writer->Add(rows.row(i), rows.measurements[i]));
        if (monitor) {
          monitor->rows_written.fetch_add(1, std::memory_order_relaxed);
          monitor->measurements_written.fetch_add(rows.measurements[i], std::memory_order_relaxed);
        }
      }
      return absl::OkStatus();
    };
    for (Partition& p : *parts) {
      if (!status.ok()) break;
      status = Cancelled(monitor);
      if (!status.ok()) break;
      while (inflight.size() >= max_inflight && status.ok()) status = drain_front();
      if (!status.ok()) break;
      auto task = std::make_shared<GroupTask>();
      task->part = std::move(p);
      task->work = free_works.back();  // inflight < max_inflight: one is free
      free_works.pop_back();
      inflight.push_back(task);
      pool.Schedule([task, env, &encoder, key_is_string, &abort] {
        absl::Status st;
        if (!abort.load()) {
          GroupWork& w = *task->work;
          w.rows.Clear();
          std::string_view data = task->part.data;
          if (!task->part.paths.empty()) {
            size_t used = 0;
            st = ReadSpillFilesInto(env, task->part.paths, &w.spilled, &used);
            for (const std::string& path : task->part.paths) (void)env->RemoveFile(path);
            data = std::string_view(w.spilled.data(), used);
          }
          if (w.rows.data.capacity() < data.size()) w.rows.data.reserve(data.size());
          if (st.ok()) st = GroupAndEncode(data, encoder, key_is_string, &w.rows, &w.scratch);
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

int CeilLog2(uint64_t n) {
  int b = 0;
  while ((uint64_t{1} << b) < n && b < 63) ++b;
  return b;
}

}  // namespace

absl::StatusOr<BuildSummary> Build(const BuildOptions& options, BuildMonitor* monitor, Env* env) {
  const auto start = Clock::now();
  auto phase_start = start;
  BuildSummary summary;
  auto end_phase = [&](const char* name) {
    const auto now = Clock::now();
    summary.phase_seconds.emplace_back(name, std::chrono::duration<double>(now - phase_start).count());
    phase_start = now;
  };
  auto set_phase = [&](int p) {
    if (monitor) monitor->phase = p;
  };

  RETURN_IF_ERROR(options.Validate());
  absl::StatusOr<ArrayRecordWriterOptions> ar_options =
      ArrayRecordWriterOptions::FromString(options.array_record_options);
  if (!ar_options.ok()) return Annotate(ar_options.status(), "--array-record-options");
  // Every worker costs memory beyond its partition (compression batches and
  // contexts, a malloc arena): more workers than the budget carries would
  // push the process over --memory-limit, fewer never change the output.
  const int workers = static_cast<int>(std::min<uint64_t>(
      static_cast<uint64_t>(options.EffectiveWorkers()),
      std::max<uint64_t>(
          1, (options.memory_limit_bytes - std::min(options.memory_limit_bytes, kBaseReserve)) / kBytesPerWorker)));
  const uint64_t limit = options.memory_limit_bytes;
  summary.strategy = StrategyName(options.strategy);
  summary.workers = workers;
  summary.workers_requested = options.EffectiveWorkers();
  summary.memory_limit_bytes = limit;
  summary.output_dir = options.output_dir;

  ASSIGN_OR_RETURN(std::unique_ptr<OutputTransaction> txn,
                   OutputTransaction::Begin(env, options.output_dir, options.overwrite));

  // Temporary files: a folder of our own, removed on every exit path.
  std::string temp_dir =
      options.temp_dir.empty() ? txn->staging_dir() + "/.tmp" : options.temp_dir + "/" + TempFolderName(::getpid());
  if (!options.temp_dir.empty()) RemoveStaleTempFolders(env, options.temp_dir);
  struct TempDirGuard {
    Env* env;
    std::string path;
    void Remove() {
      if (!path.empty()) (void)env->RemoveAll(path);
      path.clear();
    }
    ~TempDirGuard() { Remove(); }
  } temp_guard{env, temp_dir};
  {
    absl::Status st = env->CreateDirs(temp_dir);
    if (!st.ok()) return Annotate(st, "--temp-dir");
    ASSIGN_OR_RETURN(auto probe, env->NewWritableFile(temp_dir + "/.probe"));
    absl::Status w = probe->Close();
    if (!w.ok()) return Annotate(w, "--temp-dir is not writable");
  }

  // DuckDB gets a quarter of the budget; it only scans.
  const uint64_t duckdb_limit = std::max<uint64_t>(limit / 4, 32ull << 20);
  DuckDbOptions db_options;
  db_options.memory_limit_bytes = duckdb_limit;
  // Each scanning DuckDB thread decodes whole Parquet row groups; with too
  // many threads for a small budget DuckDB runs out of memory. Fewer scan
  // threads never change the output.
  db_options.threads = static_cast<int>(
      std::min<uint64_t>(static_cast<uint64_t>(workers), std::max<uint64_t>(1, duckdb_limit / kDuckDbBytesPerThread)));
  db_options.temp_directory = temp_dir + "/duckdb";
  // The output never depends on the scan order (records are sorted), so let
  // DuckDB hand chunks over in whatever order its threads finish them.
  db_options.preserve_insertion_order = false;
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, DuckDb::Open(db_options));

  ASSIGN_OR_RETURN(SourceSchema schema, ResolveSource(db.get(), options));
  absl::StatusOr<ExampleEncoder> encoder_or = ExampleEncoder::Create(schema.Specs());
  if (!encoder_or.ok()) return encoder_or.status();
  const ExampleEncoder& encoder = *encoder_or;

  // Count measurements and keys (the split needs the number of keys before
  // the first row is written).
  set_phase(BuildMonitor::kCounting);
  absl::StatusOr<InputCounts> counts = CountInput(db.get(), schema);
  if (!counts.ok()) return AddInputFile(schema, Annotate(counts.status(), "reading input"));
  if (counts->null_keys > 0)
    return AddInputFile(
        schema, absl::InvalidArgumentError(fmt::format("key column '{}' is NULL in {} of {} rows", options.key_column,
                                                       counts->null_keys, counts->measurements)));
  if (counts->measurements == 0) return absl::InvalidArgumentError("the input has no rows");
  summary.input_measurements = counts->measurements;
  summary.keys = counts->keys;
  if (monitor) {
    monitor->total_measurements = counts->measurements;
    monitor->total_rows = counts->keys;
  }
  const SplitPlan plan = SplitPlan::Make(counts->keys, counts->measurements, options.test_fraction, options.test_shards,
                                         options.train_shards);
  end_phase("count");

  ASSIGN_OR_RETURN(std::unique_ptr<DatasetWriter> writer,
                   DatasetWriter::Open(env, txn->staging_dir(), options.name, plan, *ar_options,
                                       options.strategy == Strategy::kSequential ? 1 : workers));
  RowConverter converter(schema, options.seed, options.null_lists_as_empty);

  if (options.strategy == Strategy::kSequential) {
    // The reference: one query per key, in output order.
    set_phase(BuildMonitor::kGrouping);
    struct Key {
      uint64_t hash;
      std::string sort_bytes;
    };
    std::vector<Key> keys;
    {
      ASSIGN_OR_RETURN(QueryResult r,
                       db->Query(fmt::format("SELECT DISTINCT {} FROM {} AS t", schema.key_expr, schema.from_clause)));
      for (;;) {
        ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
        if (!chunk.valid()) break;
        void* data = duckdb_vector_get_data(chunk.column(0));
        for (uint64_t i = 0; i < chunk.size(); ++i) {
          Key k;
          if (schema.key_is_string) {
            k.sort_bytes = std::string(StringAt(static_cast<duckdb_string_t*>(data), i));
          } else {
            k.sort_bytes.resize(kIntKeySize);
            EncodeIntKey(static_cast<int64_t*>(data)[i], k.sort_bytes.data());
          }
          k.hash = HashKey(schema.key_is_string, k.sort_bytes, options.seed);
          keys.push_back(std::move(k));
        }
      }
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.sort_bytes < b.sort_bytes;
    });
    // Like the original script: the converted input as one table indexed by
    // key, then one query per key.
    if (absl::Status st = db->Execute("CREATE TEMP TABLE proberows_source AS " + schema.select_sql); !st.ok())
      return Annotate(st, "reading input");
    RETURN_IF_ERROR(db->Execute("CREATE INDEX proberows_source_key ON proberows_source (c0)"));
    ASSIGN_OR_RETURN(std::unique_ptr<PreparedStatement> stmt,
                     db->Prepare("SELECT * FROM proberows_source WHERE c0 = $1"));
    EncodedRows rows;
    GroupScratch scratch;
    for (const Key& k : keys) {
      RETURN_IF_ERROR(Cancelled(monitor));
      if (schema.key_is_string) {
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
        if (monitor) monitor->measurements_scanned.fetch_add(chunk.size(), std::memory_order_relaxed);
      }
      rows.Clear();
      RETURN_IF_ERROR(GroupAndEncode(sink.data, encoder, schema.key_is_string, &rows, &scratch));
      if (rows.size() != 1) return absl::InternalError("a key query did not yield exactly one row");
      RETURN_IF_ERROR(writer->Add(rows.row(0), rows.measurements[0]));
      if (monitor) {
        monitor->rows_written.fetch_add(1, std::memory_order_relaxed);
        monitor->measurements_written.fetch_add(rows.measurements[0], std::memory_order_relaxed);
      }
    }
    end_phase("query+encode+write");
  } else {
    // Scan once, converting on DuckDB's threads; each thread routes its
    // records to its own partitioner by the top bits of the key hash.
    set_phase(BuildMonitor::kScanning);
    const bool streaming = options.strategy == Strategy::kStreaming;
    absl::StatusOr<double> per_record = SampleRecordSize(db.get(), schema, &converter);
    if (!per_record.ok()) return AddInputFile(schema, per_record.status());
    const uint64_t estimate = static_cast<uint64_t>(*per_record * static_cast<double>(counts->measurements));
    const uint64_t usable = limit > kBaseReserve + duckdb_limit ? limit - kBaseReserve - duckdb_limit : 0;
    // Largest partition a worker may group: in-flight partitions share the budget.
    const size_t max_inflight = static_cast<size_t>(workers) + 1;
    const uint64_t target_partition = std::max<uint64_t>(
        1, static_cast<uint64_t>(static_cast<double>(limit - kBaseReserve) * 0.8 / (kGroupingFactor * max_inflight)));
    PartitionSinks sinks;
    sinks.env = env;
    sinks.temp_dir = temp_dir;
    if (streaming) {
      // At least two partitions per worker, so that small inputs group in parallel too.
      sinks.bits = std::min(10, std::max(CeilLog2(2 * static_cast<uint64_t>(workers)),
                                         CeilLog2((estimate + target_partition - 1) / target_partition)));
      // A quarter of the budget buffers records, shared by the scanning threads.
      sinks.spill_buffer = std::clamp<uint64_t>((limit / 4 / static_cast<uint64_t>(db_options.threads)) >> sinks.bits,
                                                32u << 10, 8u << 20);
    } else {
      const uint64_t need = static_cast<uint64_t>(static_cast<double>(estimate) * 1.3);
      if (need > usable)
        return absl::ResourceExhaustedError(fmt::format(
            "the in-memory strategy needs about {} for {} measurements, more than --memory-limit {} allows; "
            "use --strategy streaming (the default) or raise --memory-limit",
            FormatBytes(need + kBaseReserve + duckdb_limit), counts->measurements, FormatBytes(limit)));
      sinks.in_memory = true;
      sinks.bits = std::min(6, CeilLog2(static_cast<uint64_t>(workers) * 4));
      sinks.memory_max = static_cast<uint64_t>(static_cast<double>(usable) / 1.3);
    }
    ParallelScanOptions scan_options;
    scan_options.seed = options.seed;
    scan_options.null_lists_as_empty = options.null_lists_as_empty;
    if (monitor) {
      scan_options.cancel = &monitor->cancel;
      scan_options.rows_scanned = &monitor->measurements_scanned;
    }
    absl::StatusOr<uint64_t> scanned = ParallelScan(db.get(), schema, scan_options, &sinks);
    if (!scanned.ok())
      return absl::IsCancelled(scanned.status()) ? scanned.status() : AddInputFile(schema, scanned.status());
    if (*scanned != counts->measurements)
      return absl::InternalError(
          fmt::format("scanned {} measurements but counted {}; did the input change?", *scanned, counts->measurements));
    ASSIGN_OR_RETURN(std::vector<Partition> parts, sinks.Finish());
    summary.spill_bytes = sinks.spilled_bytes;
    // DuckDB is done: give its memory back before grouping.
    db.reset();
    end_phase("scan+partition");

    set_phase(BuildMonitor::kGrouping);
    if (streaming) {
      // Split partitions that came out larger than a worker may hold.
      std::vector<Partition> fitted;
      for (Partition& p : parts) {
        if (p.bytes <= target_partition * 3 / 2) {
          fitted.push_back(std::move(p));
          continue;
        }
        const int extra = std::min(12, std::max(1, CeilLog2((p.bytes + target_partition - 1) / target_partition)));
        ASSIGN_OR_RETURN(std::vector<Partition> sub, SplitPartition(env, p, extra, temp_dir, 1 << 20));
        for (Partition& s : sub) fitted.push_back(std::move(s));
      }
      parts = std::move(fitted);
      uint64_t largest = 0;
      for (const Partition& p : parts) largest = std::max(largest, p.bytes);
      if (static_cast<double>(largest) * kGroupingFactor > static_cast<double>(limit - kBaseReserve)) {
        const uint64_t need = static_cast<uint64_t>(static_cast<double>(largest) * kGroupingFactor) + kBaseReserve;
        std::string who = LargestKey(schema);
        return absl::ResourceExhaustedError(fmt::format(
            "a single key ({}) holds {} of measurement records, more than can be grouped within --memory-limit {}; "
            "raise --memory-limit to at least {}",
            who.empty() ? "unknown" : who, FormatBytes(largest), FormatBytes(limit),
            FormatBytes(((need >> 26) + 1) << 26)));
      }
    }
    summary.partitions = static_cast<int>(parts.size());
    RETURN_IF_ERROR(
        GroupPartitions(env, &parts, encoder, schema.key_is_string, workers, max_inflight, writer.get(), monitor));
    end_phase("group+encode+write");
  }

  set_phase(BuildMonitor::kFinishing);
  RETURN_IF_ERROR(writer->Finish());
  summary.test = writer->stats(Split::kTest);
  summary.train = writer->stats(Split::kTrain);
  if (summary.test.measurements + summary.train.measurements != counts->measurements)
    return absl::InternalError(fmt::format("wrote {} measurements but the input has {}",
                                           summary.test.measurements + summary.train.measurements,
                                           counts->measurements));
  temp_guard.Remove();
  MetadataInput meta{options, schema, encoder, *ar_options, plan, summary.test, summary.train, counts->measurements};
  RETURN_IF_ERROR(WriteMetadata(env, txn->staging_dir(), meta));
  RETURN_IF_ERROR(txn->Commit());
  end_phase("finish");
  set_phase(BuildMonitor::kDone);
  summary.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.peak_rss_bytes = PeakRssBytes();
  return summary;
}

std::string FormatSummary(const BuildSummary& s) {
  std::string out;
  const uint64_t rows = s.train.rows + s.test.rows;
  const uint64_t bytes = s.train.row_bytes + s.test.row_bytes;
  out += fmt::format("proberows build: {} measurements -> {} rows in {:.2f} s ({:.0f} measurements/s)\n",
                     s.input_measurements, rows, s.total_seconds,
                     s.total_seconds > 0 ? static_cast<double>(s.input_measurements) / s.total_seconds : 0.0);
  for (const auto* sp : {&s.train, &s.test}) {
    const char* name = sp == &s.train ? "train" : "test";
    out += fmt::format("  {:<5} {:>9} rows {:>11} measurements  row bytes min/mean/max {}/{:.0f}/{}  {} shard(s), {}\n",
                       name, sp->rows, sp->measurements, sp->min_row_bytes,
                       sp->rows ? static_cast<double>(sp->row_bytes) / static_cast<double>(sp->rows) : 0.0,
                       sp->max_row_bytes, sp->shards.size(), FormatBytes(sp->file_bytes));
  }
  out += fmt::format("  rows total {} ({} encoded, {} on disk)\n", rows, FormatBytes(bytes),
                     FormatBytes(s.train.file_bytes + s.test.file_bytes));
  out += "  phases:";
  for (const auto& [name, secs] : s.phase_seconds) out += fmt::format(" {} {:.2f} s;", name, secs);
  out.pop_back();
  out += "\n";
  out += fmt::format("  strategy {}, {} worker(s)", s.strategy, s.workers);
  if (s.workers_requested > s.workers)
    out += fmt::format(" ({} asked; the memory limit carries {})", s.workers_requested, s.workers);
  out +=
      fmt::format(", memory limit {}, peak RSS {}", FormatBytes(s.memory_limit_bytes), FormatBytes(s.peak_rss_bytes));
  if (s.partitions > 0) out += fmt::format(", {} partition(s)", s.partitions);
  if (s.spill_bytes > 0) out += fmt::format(", spilled {}", FormatBytes(s.spill_bytes));
  out += fmt::format("\n  output: {}\n", s.output_dir);
  return out;
}

}  // namespace proberows
