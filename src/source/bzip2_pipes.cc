#include "source/bzip2_pipes.h"

#include <bzlib.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "source/bzip2_blocks.h"
#include "source/decode_file.h"

namespace proberows {

namespace {

constexpr size_t kChunk = 1 << 20;

// Frees a bz_stream set up by BZ2_bzDecompressInit.
struct DecompressStream {
  bz_stream s{};
  bool live = false;
  ~DecompressStream() { End(); }
  void End() {
    if (live) BZ2_bzDecompressEnd(&s);
    live = false;
  }
};

// Closes a file descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::atomic<const std::atomic<bool>*> g_interrupt{nullptr};

bool Interrupted() {
  const std::atomic<bool>* flag = g_interrupt.load(std::memory_order_acquire);
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

bool IsBzip2File(const std::string& path) {
  if (CompressionOf(path) != Compression::kBzip2) return false;
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

void SetBzip2Interrupt(const std::atomic<bool>* flag) { g_interrupt.store(flag, std::memory_order_release); }

absl::Status DecodeBzip2File(const std::string& path, const std::function<bool(std::string_view)>& sink) {
  Fd in;
  in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd < 0) return absl::NotFoundError(fmt::format("input '{}': cannot open: {}", path, std::strerror(errno)));
  // Not zero-filled: a small file touches only the pages it uses.
  const auto in_buf = std::make_unique_for_overwrite<char[]>(kChunk);
  const auto out_buf = std::make_unique_for_overwrite<char[]>(kChunk);
  DecompressStream z;
  uint64_t read_bytes = 0;  // compressed bytes read so far
  int streams = 0;          // streams started
  bool eof = false;
  for (;;) {
    if (z.s.avail_in == 0 && !eof) {
      const ssize_t n = ::read(in.fd, in_buf.get(), kChunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::DataLossError(fmt::format("input '{}': cannot read: {}", path, std::strerror(errno)));
      }
      if (n == 0) {
        eof = true;
      } else {
        z.s.next_in = in_buf.get();
        z.s.avail_in = static_cast<unsigned int>(n);
        read_bytes += static_cast<uint64_t>(n);
      }
    }
    const uint64_t at = read_bytes - z.s.avail_in;  // offset of the next compressed byte
    if (z.s.avail_in == 0 && eof) {
      if (streams == 0) return absl::DataLossError(fmt::format("input '{}': the file is empty, not bzip2 data", path));
      if (z.live)
        return absl::DataLossError(
            fmt::format("input '{}': bzip2 data ends early at byte {}, inside stream {} (the file is truncated; "
                        "download it again)",
                        path, at, streams));
      return absl::OkStatus();  // every stream ended at BZ_STREAM_END
    }
    if (!z.live) {  // a stream starts here (concatenated streams decode as one file, as bzip2 -d does)
      if (const int rc = BZ2_bzDecompressInit(&z.s, /*verbosity=*/0, /*small=*/0); rc != BZ_OK)
        return absl::ResourceExhaustedError(
            fmt::format("input '{}': cannot start bzip2 decoding (libbz2 error {})", path, rc));
      z.live = true;
      ++streams;
    }
    z.s.next_out = out_buf.get();
    z.s.avail_out = static_cast<unsigned int>(kChunk);
    const int rc = BZ2_bzDecompress(&z.s);
    // A block's CRC is checked when its last bytes are decoded, in the call
    // that returns them: on an error these bytes are damaged and dropped
    // (the rest of the block, if it filled out_buf earlier, went out already).
    const bool failed = rc != BZ_OK && rc != BZ_STREAM_END;
    const size_t produced = failed ? 0 : kChunk - z.s.avail_out;
    if (produced > 0 && !sink(std::string_view(out_buf.get(), produced)))
      return absl::CancelledError(fmt::format("input '{}': decoding stopped", path));
    if (rc == BZ_STREAM_END) {
      z.End();
      continue;
    }
    if (rc == BZ_OK) continue;
    const uint64_t now = read_bytes - z.s.avail_in;
    switch (rc) {
      case BZ_DATA_ERROR_MAGIC:
        if (streams == 1)
          return absl::DataLossError(fmt::format(
              "input '{}': not bzip2 data (no bzip2 header; a .bz2 file is read as bzip2-compressed JSON lines)",
              path));
        return absl::DataLossError(fmt::format(
            "input '{}': the bytes after bzip2 stream {} (from byte {}) are not bzip2 data", path, streams - 1, at));
      case BZ_DATA_ERROR:
        return absl::DataLossError(fmt::format(
            "input '{}': bzip2 data is damaged (a check failed in stream {} before byte {}; download it again)", path,
            streams, now));
      case BZ_MEM_ERROR:
        return absl::ResourceExhaustedError(fmt::format("input '{}': out of memory decoding bzip2", path));
      default: return absl::InternalError(fmt::format("input '{}': bzip2 decoding failed (libbz2 error {})", path, rc));
    }
  }
}

// One .bz2 file decoded into one pipe.
struct Bzip2Pipes::Feed {
  std::string path;
  std::string pipe_path;  // "/dev/fd/N" of read_fd
  int read_fd = -1;
  int write_fd = -1;
  std::thread thread;
  mutable absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status error ABSL_GUARDED_BY(mu);
};

namespace {

std::atomic<uint64_t> g_pipes_opened{0};

// Writes all of `data` to the non-blocking `fd`; false when `stop` is set,
// the build is interrupted or the reader is gone.
bool WriteAll(int fd, std::string_view data, const std::atomic<bool>& stop) {
  while (!data.empty()) {
    if (stop.load(std::memory_order_relaxed) || Interrupted()) return false;
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return false;  // EPIPE: nobody reads any more
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Bzip2Pipes>> Bzip2Pipes::Open(const std::string& sql, std::string* rewritten,
                                                             int threads) {
  std::unique_ptr<Bzip2Pipes> pipes;
  std::string out;
  out.reserve(sql.size());
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c != '\'' && c != '"') {
      out.push_back(c);
      ++i;
      continue;
    }
    // A quoted literal or identifier ('' or "" escape the quote).
    size_t j = i + 1;
    std::string value;
    while (j < sql.size()) {
      if (sql[j] == c && j + 1 < sql.size() && sql[j + 1] == c) {
        value.push_back(c);
        j += 2;
      } else if (sql[j] == c) {
        break;
      } else {
        value.push_back(sql[j++]);
      }
    }
    const size_t end = std::min(j + 1, sql.size());
    if (c != '\'' || !IsBzip2File(value)) {
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (!pipes) pipes.reset(new Bzip2Pipes());
    g_pipes_opened.fetch_add(1, std::memory_order_relaxed);
    auto feed = std::make_unique<Feed>();
    feed->path = value;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return absl::ResourceExhaustedError(
          fmt::format("input '{}': cannot make a pipe: {}", value, std::strerror(errno)));
    feed->read_fd = fds[0];
    feed->write_fd = fds[1];
    ::fcntl(feed->write_fd, F_SETFL, ::fcntl(feed->write_fd, F_GETFL) | O_NONBLOCK);
    ::fcntl(feed->write_fd, F_SETPIPE_SZ, static_cast<int>(kChunk));  // fewer wake-ups; the default size still works
    feed->pipe_path = fmt::format("/dev/fd/{}", feed->read_fd);
    out += "'" + feed->pipe_path + "'";
    pipes->feeds_.push_back(std::move(feed));
    i = end;
  }
  if (pipes) {
    // Fewer files than threads: a file's blocks decode on several threads.
    const int per_file = std::max(1, threads / static_cast<int>(pipes->feeds_.size()));
    for (auto& feed : pipes->feeds_)
      if (absl::Status st = pipes->Start(feed.get(), per_file); !st.ok()) return st;
  }
  *rewritten = pipes ? std::move(out) : sql;
  return pipes;
}

absl::Status Bzip2Pipes::Start(Feed* f, int threads) {
  // The decoder threads take no signals: SIGINT/SIGTERM go to the threads
  // that act on them, and a write to a pipe nobody reads fails with EPIPE.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const std::atomic<bool>* stop = &stop_;
  try {
    f->thread = std::thread([f, stop, threads] {
      absl::Status st = DecodeBzip2FileParallel(
          f->path, threads, [&](std::string_view bytes) { return WriteAll(f->write_fd, bytes, *stop); });
      {
        absl::MutexLock lock(&f->mu);
        f->done = true;
        // Stopped: by ~Bzip2Pipes (the reader is done: not an error) or
        // by an interrupt (the statement must fail, not end early).
        if (st.code() == absl::StatusCode::kCancelled)
          st = Interrupted() ? absl::CancelledError("interrupted; no output was written") : absl::OkStatus();
        f->error = st;
      }
      // The reader sees the end only now, after the outcome is recorded.
      ::close(f->write_fd);
    });
  } catch (const std::system_error& e) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start a decoder: {}", f->path, e.what()));
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return absl::OkStatus();
}

Bzip2Pipes::~Bzip2Pipes() {
  stop_.store(true);
  for (auto& f : feeds_) {
    if (f->thread.joinable()) {
      f->thread.join();
    } else if (f->write_fd >= 0) {
      ::close(f->write_fd);  // no decoder was started
    }
    if (f->read_fd >= 0) ::close(f->read_fd);
  }
}

absl::Status Bzip2Pipes::Error() const {
  for (const auto& f : feeds_) {
    absl::MutexLock lock(&f->mu);
    if (f->done && !f->error.ok()) return f->error;
  }
  return absl::OkStatus();
}

uint64_t Bzip2Pipes::PipesOpened() { return g_pipes_opened.load(std::memory_order_relaxed); }

std::string Bzip2Pipes::Restore(std::string_view text) const {
  std::string out;
  constexpr std::string_view kPrefix = "/dev/fd/";
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = text.find(kPrefix, i);
    if (at == std::string_view::npos) break;
    size_t j = at + kPrefix.size();
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view path = text.substr(at, j - at);
    const Feed* match = nullptr;
    for (const auto& f : feeds_)
      if (f->pipe_path == path) match = f.get();
    out.append(text.substr(i, at - i));
    out.append(match ? std::string_view(match->path) : path);
    i = j;
  }
  out.append(text.substr(i));
  return out;
}

}  // namespace proberows
