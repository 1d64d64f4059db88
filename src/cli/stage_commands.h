// The stage subcommands of a distributed build (include/proberows/stages.h,
// docs/distributed.md): plan, map, split, reduce, finalize and status.
#ifndef PROBEROWS_CLI_STAGE_COMMANDS_H_
#define PROBEROWS_CLI_STAGE_COMMANDS_H_

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/build_flags.h"
#include "proberows/env.h"
#include "proberows/stages.h"

namespace proberows {

class StageCommands {
 public:
  // Adds the subcommands to `app`.
  void Add(CLI::App* app);
  // Runs the parsed subcommand, if one of ours; returns its exit code.
  std::optional<int> Run(Env* env);

 private:
  // The task index of `text`: "3", "3/8" (checked against the plan), or
  // "auto" (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, CLOUD_RUN_TASK_INDEX
  // or AWS_BATCH_JOB_ARRAY_INDEX from the environment).
  absl::StatusOr<int> TaskIndex(const std::string& stage, Env* env) const;
  absl::StatusOr<StageOptions> Options(const CLI::App* cmd);

  CLI::App* plan_ = nullptr;
  CLI::App* map_ = nullptr;
  CLI::App* split_ = nullptr;
  CLI::App* reduce_ = nullptr;
  CLI::App* finalize_ = nullptr;
  CLI::App* status_ = nullptr;

  std::string work_;
  std::string task_;
  BuildFlags flags_;
  PlanStageOptions plan_options_;
  std::string reduce_memory_;
  bool no_progress_ = false;
  bool no_verify_ = false;
  bool keep_work_ = false;
};

}  // namespace proberows

#endif  // PROBEROWS_CLI_STAGE_COMMANDS_H_
