// HashingEnv: an Env that forwards everything to another one and hashes
// (XXH3-64) every byte written through the files it creates, so that a
// writer learns its file's checksum without reading the file back.
//
// Thread-safety: as the base Env; the digest of the most recently closed
// file is guarded by a mutex.
#ifndef PROBEROWS_UTIL_HASHING_ENV_H_
#define PROBEROWS_UTIL_HASHING_ENV_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proberows/env.h"

namespace proberows {

class HashingEnv final : public Env {
 public:
  // `base` must outlive this Env.
  explicit HashingEnv(Env* base) : base_(base) {}

  // XXH3-64 of all bytes appended to the file at `path` (the name it was
  // created under) by the time it was closed; false if no such file was
  // closed successfully.
  bool DigestOf(const std::string& path, uint64_t* digest) const;

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
  absl::Status LinkOrCopyFile(const std::string& from, const std::string& to) override {
    return base_->LinkOrCopyFile(from, to);
  }

 private:
  friend class HashingWritableFile;
  void Closed(const std::string& path, uint64_t digest);

  Env* base_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> digests_;  // guarded by mu_; by path, newest last
};

}  // namespace proberows

#endif  // PROBEROWS_UTIL_HASHING_ENV_H_
