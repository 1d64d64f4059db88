#include "util/hashing_env.h"

#include <xxhash.h>

namespace proberows {

class HashingWritableFile final : public WritableFile {
 public:
  HashingWritableFile(HashingEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)), state_(XXH3_createState()) {
    XXH3_64bits_reset(state_);
  }
  ~HashingWritableFile() override { XXH3_freeState(state_); }

  absl::Status Append(std::string_view data) override {
    absl::Status st = base_->Append(data);
    if (st.ok()) XXH3_64bits_update(state_, data.data(), data.size());
    return st;
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override { return base_->Sync(); }
  absl::Status Close() override {
    absl::Status st = base_->Close();
    if (st.ok()) env_->Closed(base_->path(), XXH3_64bits_digest(state_));
    return st;
  }
  const std::string& path() const override { return base_->path(); }

 private:
  HashingEnv* env_;
  std::unique_ptr<WritableFile> base_;
  XXH3_state_t* state_;
};

absl::StatusOr<std::unique_ptr<WritableFile>> HashingEnv::NewWritableFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<WritableFile>(new HashingWritableFile(this, std::move(*file)));
}

void HashingEnv::Closed(const std::string& path, uint64_t digest) {
  std::lock_guard<std::mutex> lock(mu_);
  digests_.emplace_back(path, digest);
}

absl::Status HashingEnv::RenameFile(const std::string& from, const std::string& to) {
  absl::Status st = base_->RenameFile(from, to);
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [path, digest] : digests_)
      if (path == from) path = to;
  }
  return st;
}

bool HashingEnv::DigestOf(const std::string& path, uint64_t* digest) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = digests_.rbegin(); it != digests_.rend(); ++it) {
    if (it->first == path) {
      *digest = it->second;
      return true;
    }
  }
  return false;
}

}  // namespace proberows
