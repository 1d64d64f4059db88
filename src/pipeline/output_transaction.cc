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

  ASSIGN_OR_RETURN(t->lock_, FileLock::Acquire(fmt::format("{}/.{}.proberows.lock", parent, base),
                                               fmt::format("another proberows build is writing to '{}'", t->output_)));
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
  // lock_ goes last: its file is unlinked while still held, then released.
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
