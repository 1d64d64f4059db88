#include "source/decode_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "source/bzip2_blocks.h"

namespace proberows {

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr char kRedownload[] = "the file is truncated or damaged; download or copy it again";

// A compressed file read in chunks, opened for the decoder's lifetime only.
class ChunkReader {
 public:
  ~ChunkReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const std::string& path) {
    path_ = &path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return absl::NotFoundError(fmt::format("input '{}': cannot open: {}", path, std::strerror(errno)));
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    buf_ = std::make_unique_for_overwrite<unsigned char[]>(kChunk);
    return absl::OkStatus();
  }
  // Reads the next chunk into data()/size(); size() 0 at the end.
  absl::Status Next() {
    for (;;) {
      const ssize_t n = ::read(fd_, buf_.get(), kChunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::DataLossError(fmt::format("input '{}': cannot read: {}", *path_, std::strerror(errno)));
      size_ = static_cast<size_t>(n);
      offset_ = read_;
      read_ += size_;
      return absl::OkStatus();
    }
  }
  unsigned char* data() { return buf_.get(); }
  size_t size() const { return size_; }
  // The file offset of data()[0]; the bytes read so far.
  uint64_t offset() const { return offset_; }
  uint64_t read() const { return read_; }

 private:
  const std::string* path_ = nullptr;
  int fd_ = -1;
  std::unique_ptr<unsigned char[]> buf_;
  size_t size_ = 0;
  uint64_t offset_ = 0, read_ = 0;
};

absl::Status DecodeGzip(const std::string& path, const std::function<bool(std::string_view)>& sink) {
  ChunkReader in;
  if (absl::Status st = in.Open(path); !st.ok()) return st;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK)
    return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start gzip decoding", path));
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  const auto out = std::make_unique_for_overwrite<unsigned char[]>(kChunk);
  int member = 0;          // members started
  uint64_t member_at = 0;  // where the current member starts
  bool live = false;       // inside a member
  bool padding = false;    // zeros after the last member (gzip -t accepts them)
  for (;;) {
    if (z.avail_in == 0) {
      if (absl::Status st = in.Next(); !st.ok()) return st;
      if (in.size() == 0) break;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(in.size());
    }
    if (!live && member > 0 && *z.next_in == 0) padding = true;
    if (padding) {
      while (z.avail_in > 0 && *z.next_in == 0) {
        ++z.next_in;
        --z.avail_in;
      }
      if (z.avail_in > 0)
        return absl::DataLossError(
            fmt::format("input '{}': the bytes after gzip member {} (from byte {}) are not gzip "
                        "data; {}",
                        path, member, in.read() - z.avail_in, kRedownload));
      continue;
    }
    if (!live) {
      live = true;
      ++member;
      member_at = in.read() - z.avail_in;
    }
    z.next_out = out.get();
    z.avail_out = static_cast<uInt>(kChunk);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = kChunk - z.avail_out;
    if ((rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && produced > 0 &&
        !sink(std::string_view(reinterpret_cast<const char*>(out.get()), produced)))
      return absl::CancelledError(fmt::format("input '{}': decoding stopped", path));
    if (rc == Z_STREAM_END) {
      // The member's trailer (CRC-32, size) checked; a next member, or zeros.
      live = false;
      inflateReset(&z);
      continue;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_in == 0)) continue;
    return absl::DataLossError(
        fmt::format("input '{}': gzip member {} (from byte {}) is damaged before byte {} ({}); {}", path, member,
                    member_at, in.read() - z.avail_in, z.msg != nullptr ? z.msg : "zlib error", kRedownload));
  }
  if (member == 0) return absl::DataLossError(fmt::format("input '{}': the file is empty, not gzip data", path));
  if (live)
    return absl::DataLossError(fmt::format("input '{}': gzip member {} (from byte {}) ends early at byte {}; {}", path,
                                           member, member_at, in.read(), kRedownload));
  return absl::OkStatus();
}

absl::Status DecodeZstd(const std::string& path, const std::function<bool(std::string_view)>& sink) {
  ChunkReader in;
  if (absl::Status st = in.Open(path); !st.ok()) return st;
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (dctx == nullptr) return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start zstd decoding", path));
  const auto out = std::make_unique_for_overwrite<char[]>(kChunk);
  ZSTD_inBuffer zin{nullptr, 0, 0};
  int frame = 0;
  uint64_t frame_at = 0;
  bool live = false;    // inside a frame
  bool flushed = true;  // the last call did not fill the output
  for (;;) {
    if (zin.pos == zin.size && flushed) {
      if (absl::Status st = in.Next(); !st.ok()) return st;
      if (in.size() == 0) break;
      zin = ZSTD_inBuffer{in.data(), in.size(), 0};
    }
    if (!live) {
      live = true;
      ++frame;
      frame_at = in.read() - (zin.size - zin.pos);
    }
    ZSTD_outBuffer zout{out.get(), kChunk, 0};
    const size_t rc = ZSTD_decompressStream(dctx.get(), &zout, &zin);
    if (ZSTD_isError(rc)) {
      const ZSTD_ErrorCode code = ZSTD_getErrorCode(rc);
      if (code == ZSTD_error_prefix_unknown && frame == 1)
        return absl::DataLossError(fmt::format("input '{}': not zstd data (no zstd frame header)", path));
      if (code == ZSTD_error_prefix_unknown)
        return absl::DataLossError(
            fmt::format("input '{}': the bytes after zstd frame {} (from byte {}) are not zstd "
                        "data; {}",
                        path, frame - 1, frame_at, kRedownload));
      return absl::DataLossError(fmt::format("input '{}': zstd frame {} (from byte {}) is damaged ({}); {}", path,
                                             frame, frame_at, ZSTD_getErrorName(rc), kRedownload));
    }
    flushed = zout.pos < zout.size || rc == 0;
    if (zout.pos > 0 && !sink(std::string_view(out.get(), zout.pos)))
      return absl::CancelledError(fmt::format("input '{}': decoding stopped", path));
    if (rc == 0) live = false;  // the frame ended (its checksum, if any, checked) and is flushed
  }
  if (in.read() == 0) return absl::DataLossError(fmt::format("input '{}': the file is empty, not zstd data", path));
  if (live)
    return absl::DataLossError(fmt::format("input '{}': zstd frame {} (from byte {}) ends early at byte {}; {}", path,
                                           frame, frame_at, in.read(), kRedownload));
  return absl::OkStatus();
}

}  // namespace

Compression CompressionOf(const std::string& path) {
  if (absl::EndsWithIgnoreCase(path, ".bz2")) return Compression::kBzip2;
  if (absl::EndsWithIgnoreCase(path, ".gz")) return Compression::kGzip;
  if (absl::EndsWithIgnoreCase(path, ".zst")) return Compression::kZstd;
  return Compression::kNone;
}

absl::Status DecodeCompressedFile(const std::string& path, const std::function<bool(std::string_view)>& sink,
                                  int threads) {
  switch (CompressionOf(path)) {
    case Compression::kBzip2: return DecodeBzip2FileParallel(path, threads, sink);
    case Compression::kGzip: return DecodeGzip(path, sink);
    case Compression::kZstd: return DecodeZstd(path, sink);
    case Compression::kNone: break;
  }
  return absl::InternalError(fmt::format("input '{}': not a compressed file", path));
}

}  // namespace proberows
