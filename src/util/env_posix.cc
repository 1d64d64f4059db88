// POSIX implementation of Env.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "proberows/env.h"
#include "util/status_macros.h"

namespace proberows {

absl::Status ErrnoToStatus(int err, std::string_view context) {
  std::string msg = absl::StrCat(std::string(context), ": ", std::strerror(err));
  switch (err) {
    case ENOENT: return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS: return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT: return absl::ResourceExhaustedError(msg);
    case EEXIST: return absl::AlreadyExistsError(msg);
    default: return absl::InternalError(msg);
  }
}

namespace {

// Appends are buffered up to this size; an append of at least
// kDirectWriteSize goes straight to write(2) (after whatever small appends
// are buffered), so callers that hand over big blocks (spill files: a 16-byte
// header, then the block) keep no second copy: one 1 MiB buffer per open
// spill file would otherwise double the partition buffers' memory.
constexpr size_t kWriteBufferSize = 1 << 20;
constexpr size_t kDirectWriteSize = 64 << 10;

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("write '", path_, "': file closed"));
    if (data.size() >= kDirectWriteSize) {
      RETURN_IF_ERROR(FlushBuffer());
      return WriteRaw(data);
    }
    if (buffer_.size() + data.size() <= kWriteBufferSize) {
      buffer_.append(data);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(FlushBuffer());
    if (data.size() >= kWriteBufferSize) return WriteRaw(data);
    buffer_.append(data);
    return absl::OkStatus();
  }

  absl::Status Flush() override { return FlushBuffer(); }

  absl::Status Sync() override {
    RETURN_IF_ERROR(FlushBuffer());
    if (::fdatasync(fd_) != 0) return ErrnoToStatus(errno, absl::StrCat("sync '", path_, "'"));
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    absl::Status status = FlushBuffer();
    if (::close(fd_) != 0 && status.ok()) status = ErrnoToStatus(errno, absl::StrCat("close '", path_, "'"));
    fd_ = -1;
    return status;
  }

  const std::string& path() const override { return path_; }

 private:
  absl::Status FlushBuffer() {
    if (buffer_.empty()) return absl::OkStatus();
    absl::Status status = WriteRaw(buffer_);
    buffer_.clear();
    return status;
  }

  absl::Status WriteRaw(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, absl::StrCat("write '", path_, "'"));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  std::string path_;
  int fd_;
  std::string buffer_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  absl::Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, absl::StrCat("read '", path_, "' at offset ", offset + done));
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return absl::OkStatus();
  }

  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("create '", path, "'"));
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open '", path, "'"));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, absl::StrCat("stat '", path, "'"));
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat("open '", path, "': is a directory"));
    }
    return std::make_unique<PosixRandomAccessFile>(path, fd, static_cast<uint64_t>(st.st_size));
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoToStatus(errno, absl::StrCat("rename '", from, "' to '", to, "'"));
    return absl::OkStatus();
  }

  absl::Status LinkOrCopyFile(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) == 0) return absl::OkStatus();
    if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
      return ErrnoToStatus(errno, absl::StrCat("link '", from, "' to '", to, "'"));
    return Env::LinkOrCopyFile(from, to);
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoToStatus(errno, absl::StrCat("remove '", path, "'"));
    return absl::OkStatus();
  }

  absl::Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("create directory '", path, "'"));
    if (!std::filesystem::is_directory(path, ec))
      return absl::FailedPreconditionError(absl::StrCat("'", path, "' exists and is not a directory"));
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("remove '", path, "'"));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoToStatus(errno, absl::StrCat("list '", dir, "'"));
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("stat '", path, "'"));
    return static_cast<uint64_t>(st.st_size);
  }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv();
  return env;
}

absl::Status Env::LinkOrCopyFile(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> in, NewRandomAccessFile(from));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, NewWritableFile(to));
  std::string buf(std::min<uint64_t>(in->size(), 4 << 20), '\0');
  for (uint64_t offset = 0; offset < in->size();) {
    std::string_view got;
    RETURN_IF_ERROR(in->Read(offset, buf.size(), buf.data(), &got));
    if (got.empty()) return absl::DataLossError(absl::StrCat("copy '", from, "': file shrank while copying"));
    RETURN_IF_ERROR(out->Append(got));
    offset += got.size();
  }
  return out->Close();
}

absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  std::string data(file->size(), '\0');
  std::string_view got;
  RETURN_IF_ERROR(file->Read(0, data.size(), data.data(), &got));
  data.resize(got.size());
  return data;
}

absl::Status WriteStringToFileAtomic(Env* env, std::string_view data, const std::string& path) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(tmp));
    RETURN_IF_ERROR(file->Append(data));
    return file->Close();
  }();
  if (status.ok()) status = env->RenameFile(tmp, path);
  if (!status.ok()) (void)env->RemoveFile(tmp);
  return status;
}

}  // namespace proberows
