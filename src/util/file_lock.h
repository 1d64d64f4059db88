// FileLock: an exclusive flock(2) on a lock file, held for the object's
// lifetime. The holder unlinks the file before releasing it, so no lock file
// outlives its run; a process that opened the file just before the unlink
// sees (by inode) that it locked a file no longer at the path and retries.
//
// Used for an output folder (one build publishes at a time) and for each
// task of a work folder (one process runs a task at a time).
#ifndef PROBEROWS_UTIL_FILE_LOCK_H_
#define PROBEROWS_UTIL_FILE_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace proberows {

class FileLock {
 public:
  // Creates (if needed) and locks `path`. When another process holds it:
  // UnavailableError "`busy` (lock file 'PATH' is held)".
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileLock>> Acquire(const std::string& path,
                                                                         const std::string& busy);
  // Unlinks the file while still holding the lock, then releases it.
  ~FileLock();

  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

}  // namespace proberows

#endif  // PROBEROWS_UTIL_FILE_LOCK_H_
