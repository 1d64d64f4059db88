#include "source/compressed_check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "source/decode_file.h"

namespace proberows {

namespace {

constexpr char kRedownload[] = "the file is truncated or damaged; download or copy it again";

// A read-only mapping of a whole file.
class Mapped {
 public:
  ~Mapped() {
    if (data_ != nullptr && data_ != MAP_FAILED) ::munmap(data_, size_);
  }
  absl::Status Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::NotFoundError(fmt::format("input '{}': cannot open: {}", path, std::strerror(errno)));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return absl::DataLossError(fmt::format("input '{}': cannot stat: {}", path, std::strerror(err)));
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data_ == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return absl::DataLossError(fmt::format("input '{}': cannot map: {}", path, std::strerror(err)));
      }
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return absl::OkStatus();
  }
  const unsigned char* data() const { return static_cast<const unsigned char*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

absl::Status CheckZstd(const std::string& path, const Mapped& m) {
  size_t at = 0;
  int frame = 0;
  while (at < m.size()) {
    ++frame;
    const size_t n = ZSTD_findFrameCompressedSize(m.data() + at, m.size() - at);
    if (ZSTD_isError(n)) {
      const ZSTD_ErrorCode code = ZSTD_getErrorCode(n);
      if (code == ZSTD_error_prefix_unknown && frame == 1)
        return absl::DataLossError(fmt::format("input '{}': not zstd data (no zstd frame header)", path));
      if (code == ZSTD_error_prefix_unknown)
        return absl::DataLossError(
            fmt::format("input '{}': the bytes after zstd frame {} (from byte {}) are not zstd data; {}", path,
                        frame - 1, at, kRedownload));
      if (code == ZSTD_error_srcSize_wrong)
        return absl::DataLossError(fmt::format("input '{}': zstd frame {} (from byte {}) ends early at byte {}; {}",
                                               path, frame, at, m.size(), kRedownload));
      return absl::DataLossError(fmt::format("input '{}': zstd frame {} (from byte {}) is damaged ({}); {}", path,
                                             frame, at, ZSTD_getErrorName(n), kRedownload));
    }
    at += n;
  }
  if (frame == 0) return absl::DataLossError(fmt::format("input '{}': the file is empty, not zstd data", path));
  return absl::OkStatus();
}

absl::Status CheckGzip(const std::string& path, const Mapped& m) {
  if (m.size() == 0) return absl::DataLossError(fmt::format("input '{}': the file is empty, not gzip data", path));
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK)
    return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start gzip decoding", path));
  std::string out(1 << 18, '\0');
  size_t at = 0;
  int member = 1;
  absl::Status result;
  z.next_in = const_cast<Bytef*>(m.data());
  while (true) {
    // zlib counts avail_in in 32 bits: feed at most 1 GiB at a time.
    if (z.avail_in == 0) {
      const size_t left = m.size() - static_cast<size_t>(z.next_in - m.data());
      z.avail_in = static_cast<uInt>(std::min<size_t>(left, size_t{1} << 30));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t pos = static_cast<size_t>(z.next_in - m.data());
    if (rc == Z_STREAM_END) {
      // Every member ended with its trailer; zeros after the last are
      // padding (gzip -t accepts them too).
      if (std::all_of(m.data() + pos, m.data() + m.size(), [](unsigned char c) { return c == 0; })) break;
      ++member;
      at = pos;
      inflateReset(&z);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && pos == m.size()) {
      result = absl::DataLossError(fmt::format("input '{}': gzip member {} (from byte {}) ends early at byte {}; {}",
                                               path, member, at, pos, kRedownload));
      break;
    }
    result =
        absl::DataLossError(fmt::format("input '{}': gzip member {} (from byte {}) is damaged before byte {} ({}); {}",
                                        path, member, at, pos, z.msg != nullptr ? z.msg : "zlib error", kRedownload));
    break;
  }
  inflateEnd(&z);
  return result;
}

}  // namespace

absl::Status CheckCompressedInput(const std::string& path) {
  const Compression c = CompressionOf(path);
  if (c != Compression::kZstd && c != Compression::kGzip) return absl::OkStatus();
  Mapped m;
  if (absl::Status st = m.Open(path); !st.ok()) return st;
  return c == Compression::kZstd ? CheckZstd(path, m) : CheckGzip(path, m);
}

absl::Status CheckCompressedInputs(const std::vector<std::string>& paths, int threads) {
  std::vector<size_t> todo;
  for (size_t i = 0; i < paths.size(); ++i)
    if (const Compression c = CompressionOf(paths[i]); c == Compression::kZstd || c == Compression::kGzip)
      todo.push_back(i);
  if (todo.empty()) return absl::OkStatus();
  std::vector<absl::Status> results(paths.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < todo.size();) results[todo[k]] = CheckCompressedInput(paths[todo[k]]);
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(todo.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const absl::Status& st : results)
    if (!st.ok()) return st;
  return absl::OkStatus();
}

}  // namespace proberows
