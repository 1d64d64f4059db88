// OutputTransaction: makes a build's output appear all at once.
//
// Everything is written into a staging folder beside the output folder
// (".<name>.proberows-staging-<pid>"); Commit() swaps it into place with one
// atomic rename (renameat2 RENAME_EXCHANGE when a previous output exists),
// so readers see either the old complete output or the new complete one.
// A lock file beside the output (".<name>.proberows.lock", flock) keeps a
// second build from writing to the same output concurrently; stale staging
// folders of killed runs are removed when the lock is taken. The lock file is
// removed again when the transaction ends (committed or not), so a finished
// build leaves nothing beside the output; only a killed run leaves it, and
// the next run on the same output removes it.
#ifndef PROBEROWS_PIPELINE_OUTPUT_TRANSACTION_H_
#define PROBEROWS_PIPELINE_OUTPUT_TRANSACTION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "proberows/env.h"
#include "util/file_lock.h"

namespace proberows {

// The file that marks a folder as a proberows output.
inline constexpr const char* kMetadataFileName = "proberows.json";

class OutputTransaction {
 public:
  // Checks that `output_dir` may be written (absent, empty, or a previous
  // proberows output with `overwrite`), takes the lock and creates the
  // staging folder.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<OutputTransaction>> Begin(Env* env, const std::string& output_dir,
                                                                                bool overwrite);
  // Removes the staging folder unless committed; removes the lock file and
  // releases the lock.
  ~OutputTransaction();

  const std::string& staging_dir() const { return staging_; }
  const std::string& output_dir() const { return output_; }

  // Moves the staging folder into place. REQUIRES: not committed yet.
  [[nodiscard]] absl::Status Commit();

 private:
  OutputTransaction() = default;
  Env* env_ = nullptr;
  std::string output_;
  std::string staging_;
  std::unique_ptr<FileLock> lock_;
  bool committed_ = false;
};

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_OUTPUT_TRANSACTION_H_
