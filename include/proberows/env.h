// Env: the seam between proberows and the file system (leveldb's Env).
//
// Every byte proberows reads from or writes to its own files (ArrayRecord
// output, spill files, metadata) goes through an Env, so that tests can
// substitute one that fails the Nth write, reports a full disk, or counts
// calls. DuckDB reads the *input* through its own file system and is not
// covered by this seam.
//
// Thread-safety: Env methods may be called from any thread. A WritableFile is
// used by one thread at a time; RandomAccessFile::Read is thread-safe.
#ifndef PROBEROWS_ENV_H_
#define PROBEROWS_ENV_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proberows {

// A file being written sequentially. Errors name the file.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Appends `data`. May buffer; errors may surface here or in Flush/Close.
  [[nodiscard]] virtual absl::Status Append(std::string_view data) = 0;
  // Pushes buffered data to the operating system.
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Flushes and fsyncs.
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // Flushes and closes. Must be called before destruction for data to be
  // durable; the destructor closes silently but reports nothing.
  [[nodiscard]] virtual absl::Status Close() = 0;
  // The path the file was opened with.
  virtual const std::string& path() const = 0;
};

// A file read at arbitrary offsets.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to `n` bytes at `offset` into `scratch` (room for `n` bytes
  // required) and sets `*result` to the bytes read, which may point into
  // `scratch`. Fewer than `n` bytes only at end of file. Thread-safe.
  [[nodiscard]] virtual absl::Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
  // Size of the file when it was opened.
  virtual uint64_t size() const = 0;
  virtual const std::string& path() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  // Creates or truncates `path` for writing.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  // Atomically replaces `to` with `from` (rename(2)).
  [[nodiscard]] virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Removes a file; NotFound if it does not exist.
  [[nodiscard]] virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Creates `path` and missing parents (mkdir -p). OK if it exists already.
  [[nodiscard]] virtual absl::Status CreateDirs(const std::string& path) = 0;
  // Removes `path` and everything below it. OK if it does not exist.
  [[nodiscard]] virtual absl::Status RemoveAll(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, sorted.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Makes `to` (which must not exist) hold the bytes of `from`, leaving
  // `from` in place: a hard link where the file system allows one, else a
  // copy. The default copies through this Env.
  [[nodiscard]] virtual absl::Status LinkOrCopyFile(const std::string& from, const std::string& to);
  [[nodiscard]] virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
};

// Reads the whole file at `path` through `env`.
[[nodiscard]] absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path);
// Writes `data` to `path` through `env`: to a temporary name first, renamed
// into place only when everything was written and closed.
[[nodiscard]] absl::Status WriteStringToFileAtomic(Env* env, std::string_view data, const std::string& path);

}  // namespace proberows

#endif  // PROBEROWS_ENV_H_
