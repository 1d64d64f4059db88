// BuildPlan: what every stage of a build agrees on before the first row is
// read (docs/distributed.md). The `plan` stage makes it from the options and
// the input; map, split, reduce and finalize tasks, in one process or on a
// cluster, all work from it:
//
//   * the options that decide the output (key, order, split, shards...),
//   * the input files with a fingerprint each (size, mtime and, for Parquet,
//     a hash of the footer), so that a task refuses input that changed,
//   * the resolved columns, which every task checks it resolves alike,
//   * the task counts, the number of hash partitions, and which files or
//     Parquet row ranges each map task reads (the input is read once in all),
//   * a size estimate (rows, bytes per record) for sizing buffers.
//
// Its id (a hash of all of the above) tags every task output, so that the
// outputs of different plans are never mixed.
#ifndef PROBEROWS_PLAN_BUILD_PLAN_H_
#define PROBEROWS_PLAN_BUILD_PLAN_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "proberows/env.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"

namespace proberows {

// One input file as the plan saw it.
struct InputFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string footer_xxh3;  // Parquet: XXH3-64 of the footer; "" otherwise
  uint64_t rows = 0;        // Parquet: rows per its footer; 0 otherwise
  bool rows_known = false;
};

// A piece of input one map task reads: the whole file, or (Parquet) rows
// [row_begin, row_end), whole row groups.
struct InputUnit {
  int file = 0;  // index into BuildPlan::inputs
  bool whole = true;
  uint64_t row_begin = 0;
  uint64_t row_end = 0;
};

struct BuildPlan {
  static constexpr const char* kFormat = "proberows-plan/1";

  std::string id;        // 16 hex digits; see the header comment
  BuildOptions options;  // the plan's share of the options (see PlanOptions)
  std::vector<InputFile> inputs;
  std::string columns;  // "name TYPE, ..." as the input gives them
  int map_tasks = 1;
  int reduce_tasks = 1;
  int partition_bits = 0;
  std::vector<std::vector<InputUnit>> maps;  // per map task
  uint64_t estimated_rows = 0;
  bool rows_exact = false;  // estimated_rows is the exact row count (Parquet)
  double record_bytes = 0;  // mean measurement record size of a sample
  // JSON/CSV: the reader options detected when the plan was made (and the
  // integer leaves read strictly), which every task reuses instead of
  // detecting them again (for JSON a pass over every file). Empty for
  // Parquet and --sql, and in plans made before they were kept.
  std::string reader_options;
  std::vector<std::string> strict_int_leaves;

  // Rows map task `task` reads when known (all Parquet), else nullopt-like 0
  // with *known false.
  uint64_t MapRows(int task, bool* known) const;

  // The plan as JSON (stable, id included).
  std::string ToJson() const;
  // Parses ToJson()'s output; errors name `where` (the plan file).
  [[nodiscard]] static absl::StatusOr<BuildPlan> FromJson(std::string_view json, const std::string& where);
};

// What the plan needs besides the options.
struct PlanSettings {
  int map_tasks = 1;
  int reduce_tasks = 1;
  // Memory and threads of one reduce task: they decide the partition count.
  uint64_t reduce_memory_limit = 2ull << 30;
  int reduce_workers = 1;
};

// The options a plan keeps: `options` without the per-task ones (strategy,
// workers, memory limit, temp folder, progress).
BuildOptions PlanOptions(const BuildOptions& options);

// Makes the plan with `db` (which it uses to resolve the input and read
// Parquet footers). Sets `*schema` to the resolved source.
[[nodiscard]] absl::StatusOr<BuildPlan> MakePlan(DuckDb* db, Env* env, const BuildOptions& options,
                                                 const PlanSettings& settings, SourceSchema* schema);

// Resolves the source again (for a task) and checks that the input files are
// unchanged (CheckInputsUnchanged) and give the plan's columns.
[[nodiscard]] absl::StatusOr<SourceSchema> ResolvePlannedSource(DuckDb* db, Env* env, const BuildPlan& plan);

// OK if every file in `files` (indices into plan.inputs; empty: all) still has
// the size, mtime and footer it had when the plan was made; otherwise
// FailedPrecondition naming the file and what changed.
[[nodiscard]] absl::Status CheckInputsUnchanged(Env* env, const BuildPlan& plan, std::span<const int> files);

// The FROM item that reads map task `task`'s share of the input, or "" when
// the task has no input. REQUIRES: 0 <= task < plan.map_tasks.
std::string MapFromItem(const BuildPlan& plan, const SourceSchema& schema, int task);

// Files (indices) map task `task` reads.
std::vector<int> MapFiles(const BuildPlan& plan, int task);

}  // namespace proberows

#endif  // PROBEROWS_PLAN_BUILD_PLAN_H_
