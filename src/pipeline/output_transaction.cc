#include "pipeline/output_transaction.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

std::string Normalize(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Creates (if needed) and locks `lock_path` with flock, and returns the
// descriptor. Lock files are unlinked by their holder when it is done, so a
// file we opened may have been unlinked before our flock succeeded: then the
// lock guards nothing and we start over with a fresh file. Holding the lock
// on the file that is at `lock_path` is what excludes other builds.
absl::StatusOr<int> LockFile(const std::string& lock_path, const std::string& output) {
  for (int attempt = 0;; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoToStatus(errno, fmt::format("create lock file '{}'", lock_path));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        return absl::UnavailableError(
            fmt::format("another proberows build is writing to '{}' (lock file '{}' is held)", output, lock_path));
      return ErrnoToStatus(err, fmt::format("lock '{}'", lock_path));
    }
    struct stat held, current;
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &current) == 0 && held.st_dev == current.st_dev &&
        held.st_ino == current.st_ino)
      return fd;
    ::close(fd);
    // Each retry means another run released its lock in between; a run that
    // keeps losing this race is sharing the output with a stream of others.
    if (attempt == 100)
      return absl::UnavailableError(
          fmt::format("another proberows build is writing to '{}' (lock file '{}' keeps changing)", output, lock_path));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutputTransaction>> OutputTransaction::Begin(Env* env, const std::string& output_dir,
                                                                            bool overwrite) {
  std::unique_ptr<OutputTransaction> t(new OutputTransaction());
  t->env_ = env;
  t->output_ = Normalize(output_dir);
  // A symbolic link to a dataset is followed: the dataset it names is
  // replaced and the link stays (renaming over the link itself would turn it
  // into a folder and leave the old dataset where it was).
  if (std::error_code ec; std::filesystem::is_symlink(t->output_, ec)) {
    const std::filesystem::path target = std::filesystem::canonical(t->output_, ec);
    if (ec) {
      const std::string why = ec.message();
      return absl::FailedPreconditionError(
          fmt::format("--output '{}' is a symbolic link to '{}', which cannot be followed ({}); give the folder itself",
                      output_dir, std::filesystem::read_symlink(t->output_, ec).string(), why));
    }
    t->output_ = target.string();
  }
  const std::filesystem::path out_path(t->output_);
  std::string parent = out_path.parent_path().string();
  if (parent.empty()) parent = ".";
  const std::string base = out_path.filename().string();
  if (base.empty() || base == "." || base == "..")
    return absl::InvalidArgumentError(fmt::format("--output '{}' must name a folder", output_dir));

  if (env->FileExists(t->output_)) {
    if (!IsDir(t->output_))
      return absl::FailedPreconditionError(fmt::format("output '{}' exists and is not a folder", t->output_));
    ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(t->output_));
    if (!children.empty()) {
      if (!env->FileExists(t->output_ + "/" + kMetadataFileName))
        return absl::FailedPreconditionError(fmt::format(
            "output folder '{}' is not empty and holds no proberows output ({} missing); refusing to replace it",
            t->output_, kMetadataFileName));
      if (!overwrite)
        return absl::AlreadyExistsError(
            fmt::format("output folder '{}' already holds a dataset; pass --overwrite to replace it", t->output_));
    }
  }
  if (absl::Status st = env->CreateDirs(parent); !st.ok()) return Annotate(st, "--output");

  t->lock_path_ = fmt::format("{}/.{}.proberows.lock", parent, base);
  ASSIGN_OR_RETURN(t->lock_fd_, LockFile(t->lock_path_, t->output_));
  // We hold the lock: any staging folder for this output is a leftover.
  ASSIGN_OR_RETURN(std::vector<std::string> siblings, env->GetChildren(parent));
  const std::string stale_prefix = fmt::format(".{}.proberows-staging-", base);
  for (const std::string& s : siblings)
    if (s.rfind(stale_prefix, 0) == 0) RETURN_IF_ERROR(env->RemoveAll(parent + "/" + s));

  t->staging_ = fmt::format("{}/{}{}", parent, stale_prefix, ::getpid());
  absl::Status st = env->CreateDirs(t->staging_);
  if (!st.ok()) return Annotate(st, "create staging folder");
  return t;
}

OutputTransaction::~OutputTransaction() {
  if (!committed_ && !staging_.empty()) (void)env_->RemoveAll(staging_);
  // Unlink the lock file while still holding the lock, then release it: a
  // run waiting on the unlinked file notices (LockFile) and starts over.
  if (lock_fd_ >= 0) {
    ::unlink(lock_path_.c_str());
    ::close(lock_fd_);
  }
}

absl::Status OutputTransaction::Commit() {
  if (env_->FileExists(output_)) {
    // Swap atomically, then drop the old output (now at the staging name).
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, output_.c_str(), RENAME_EXCHANGE) != 0)
      return ErrnoToStatus(errno, fmt::format("replace '{}'", output_));
    committed_ = true;
    return env_->RemoveAll(staging_);
  }
  RETURN_IF_ERROR(env_->RenameFile(staging_, output_));
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace proberows
