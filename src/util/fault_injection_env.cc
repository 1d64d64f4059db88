#include "util/fault_injection_env.h"

#include <fmt/format.h>

namespace proberows {

namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
  absl::Status Append(std::string_view data) override {
    absl::Status st = env_->CheckAppend(base_->path(), data.size());
    if (!st.ok()) return st;
    return base_->Append(data);
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override { return base_->Sync(); }
  absl::Status Close() override {
    absl::Status st = base_->Close();
    absl::Status injected = env_->CheckClose(base_->path());
    return injected.ok() ? st : injected;
  }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

void FaultInjectionEnv::FailPathsContaining(const std::string& substring) {
  std::lock_guard<std::mutex> lock(mu_);
  path_substring_ = substring;
}

void FaultInjectionEnv::Heal() {
  fail_append_from_ = 0;
  write_budget_ = std::numeric_limits<uint64_t>::max();
  fail_renames_ = false;
  fail_rename_number_ = 0;
  fail_closes_ = false;
  std::lock_guard<std::mutex> lock(mu_);
  path_substring_.clear();
}

std::vector<std::string> FaultInjectionEnv::created_files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

bool FaultInjectionEnv::PathMatches(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return !path_substring_.empty() && path.find(path_substring_) != std::string::npos;
}

absl::Status FaultInjectionEnv::Injected(const std::string& what, const std::string& path) {
  ++injected_;
  return absl::ResourceExhaustedError(fmt::format("{} '{}': No space left on device (injected)", what, path));
}

absl::Status FaultInjectionEnv::CheckAppend(const std::string& path, size_t n) {
  const uint64_t index = ++appends_;
  const uint64_t from = fail_append_from_;
  if (from != 0 && index >= from) return Injected("write", path);
  if (PathMatches(path)) return Injected("write", path);
  const uint64_t before = bytes_appended_.fetch_add(n);
  if (before + n > write_budget_) {
    bytes_appended_ -= n;
    return Injected("write", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    created_.push_back(path);
  }
  if (PathMatches(path)) return Injected("create", path);
  absl::StatusOr<std::unique_ptr<WritableFile>> f = base_->NewWritableFile(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(std::make_unique<FaultFile>(this, *std::move(f)));
}

absl::Status FaultInjectionEnv::CheckClose(const std::string& path) {
  if (fail_closes_) return Injected("close", path);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  const uint64_t index = ++renames_;
  const uint64_t nth = fail_rename_number_;
  if (fail_renames_ || index == nth || PathMatches(from) || PathMatches(to)) return Injected("rename", to);
  return base_->RenameFile(from, to);
}

}  // namespace proberows
