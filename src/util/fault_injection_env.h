// FaultInjectionEnv: the one test Env (like leveldb's ErrorEnv) that forwards
// to another Env but fails chosen operations the way a full or broken disk
// would:
//   * the Nth Append (counting from 1, over all files) and every later one,
//   * every Append once a total byte budget is used up,
//   * every Append / NewWritableFile / RenameFile whose path contains a
//     substring (e.g. "/part-" for spill files, ".array_record" for shards),
//   * every WritableFile::Close, every RenameFile, or only the Nth RenameFile.
// Failures are ENOSPC-like (kResourceExhausted, "<op> '<path>': No space left
// on device (injected)"; a rename names its target). Counters let a test
// first run cleanly to learn how many writes a build makes, then fail one.
//
// Thread-safety: all settings and counters are atomics or guarded by a mutex;
// the Env may be used from many threads like Env::Default().
#ifndef PROBEROWS_UTIL_FAULT_INJECTION_ENV_H_
#define PROBEROWS_UTIL_FAULT_INJECTION_ENV_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proberows/env.h"

namespace proberows {

class FaultInjectionEnv : public Env {
 public:
  // `base` must outlive this Env; defaults to Env::Default().
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  // ---- what to fail (set before or during a run)
  // Fail the Nth append (1-based) and all later ones; 0 = never.
  void FailAppendsFrom(uint64_t n) { fail_append_from_ = n; }
  // Fail appends once `bytes` were appended in total.
  void SetWriteBudget(uint64_t bytes) { write_budget_ = bytes; }
  // Fail appends, file creation and renames (as source or target) of paths
  // containing `substring`; empty = none.
  void FailPathsContaining(const std::string& substring);
  // Make renames fail (all of them).
  void FailRenames(bool fail) { fail_renames_ = fail; }
  // Make only the Nth rename (1-based, counting every rename) fail; 0 = none.
  void FailRenameNumber(uint64_t n) { fail_rename_number_ = n; }
  // Make WritableFile::Close fail (after closing the real file).
  void FailCloses(bool fail) { fail_closes_ = fail; }
  // Clears every fault (counters are kept).
  void Heal();

  // ---- what happened
  uint64_t appends() const { return appends_; }
  uint64_t bytes_appended() const { return bytes_appended_; }
  uint64_t injected_failures() const { return injected_; }
  // Paths of every file created through NewWritableFile, in order.
  std::vector<std::string> created_files() const;

  // ---- Env
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::Status RemoveAll(const std::string& path) override { return base_->RemoveAll(path); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }

  // Called by the files: OK or the injected error for appending `n` bytes,
  // or for closing.
  absl::Status CheckAppend(const std::string& path, size_t n);
  absl::Status CheckClose(const std::string& path);

 private:
  bool PathMatches(const std::string& path) const;
  absl::Status Injected(const std::string& what, const std::string& path);

  Env* base_;
  std::atomic<uint64_t> fail_append_from_{0};
  std::atomic<uint64_t> write_budget_{std::numeric_limits<uint64_t>::max()};
  std::atomic<bool> fail_renames_{false};
  std::atomic<uint64_t> fail_rename_number_{0};
  std::atomic<bool> fail_closes_{false};
  std::atomic<uint64_t> renames_{0};
  std::atomic<uint64_t> appends_{0};
  std::atomic<uint64_t> bytes_appended_{0};
  std::atomic<uint64_t> injected_{0};
  mutable std::mutex mu_;
  std::string path_substring_;        // guarded by mu_
  std::vector<std::string> created_;  // guarded by mu_
};

}  // namespace proberows

#endif  // PROBEROWS_UTIL_FAULT_INJECTION_ENV_H_
