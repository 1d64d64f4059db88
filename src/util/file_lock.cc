#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

absl::StatusOr<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& path, const std::string& busy) {
  for (int attempt = 0;; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoToStatus(errno, fmt::format("create lock file '{}'", path));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return absl::UnavailableError(fmt::format("{} (lock file '{}' is held)", busy, path));
      return ErrnoToStatus(err, fmt::format("lock '{}'", path));
    }
    // The file may have been unlinked by its previous holder between our
    // open and our flock: then the lock guards nothing; start over.
    struct stat held, current;
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &current) == 0 && held.st_dev == current.st_dev &&
        held.st_ino == current.st_ino)
      return std::unique_ptr<FileLock>(new FileLock(path, fd));
    ::close(fd);
    // Each retry means another run released its lock in between; a run that
    // keeps losing this race is sharing the path with a stream of others.
    if (attempt == 100) return absl::UnavailableError(fmt::format("{} (lock file '{}' keeps changing)", busy, path));
  }
}

FileLock::~FileLock() {
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace proberows
