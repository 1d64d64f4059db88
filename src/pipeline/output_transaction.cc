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

}  // namespace

absl::StatusOr<std::unique_ptr<OutputTransaction>> OutputTransaction::Begin(Env* env, const std::string& output_dir,
                                                                            bool overwrite) {
  std::unique_ptr<OutputTransaction> t(new OutputTransaction());
  t->env_ = env;
  t->output_ = Normalize(output_dir);
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
  t->lock_fd_ = ::open(t->lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (t->lock_fd_ < 0) return ErrnoToStatus(errno, fmt::format("create lock file '{}'", t->lock_path_));
  if (::flock(t->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(t->lock_fd_);
    t->lock_fd_ = -1;
    if (err == EWOULDBLOCK)
      return absl::UnavailableError(fmt::format("another proberows build is writing to '{}' (lock file '{}' is held)",
                                                t->output_, t->lock_path_));
    return ErrnoToStatus(err, fmt::format("lock '{}'", t->lock_path_));
  }
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
  // The lock file itself stays: unlinking it would let two later runs lock
  // two different files.
  if (lock_fd_ >= 0) ::close(lock_fd_);
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
