#include "source/bzip2_blocks.h"

#include <bzlib.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "source/bzip2_pipes.h"

namespace proberows {

namespace {

// How it works. The calling thread reads the file, finds the blocks and
// hands them to the decoding threads; then it passes their bytes on, in
// order. A bzip2 stream is "BZh" and a level digit ('1'-'9': blocks of at
// most 100-900 kB), then its blocks, each starting with the 48-bit magic
// 0x314159265359 and its CRC, then the 48-bit end-of-stream magic
// 0x177245385090, the stream's combined CRC and padding to a byte. Nothing
// but the magics is byte aligned, so the blocks are found by searching the
// bits for the magics. Each block is decoded by libbz2 as a stream of its
// own: "BZh" + the level, the block's bits, the end-of-stream magic and a
// combined CRC (of one block: the block's CRC). libbz2 checks the block's
// CRC; the stream's stored combined CRC is checked here against the CRCs of
// its blocks.
//
// A magic may also occur by chance inside compressed data. A block cut
// there fails to decode and is merged with the next one. An end-of-stream
// magic counts only where a stream header or the end of the file follows.
// Anything else the decoder cannot explain goes to DecodeBzip2File.

constexpr size_t kPiece = 1 << 20;                // decoded bytes per sink call, and per read
constexpr uint64_t kBlockMagic = 0x314159265359;  // bzip2's pi
constexpr uint64_t kEndMagic = 0x177245385090;    // bzip2's sqrt(pi)
constexpr uint64_t kMagicMask = (uint64_t{1} << 48) - 1;
// A merge of chance-split pieces larger than any bzip2 block is damage.
constexpr uint64_t kMaxBlockBits = uint64_t{8} * (2 << 20);

// Bits written most significant first, as bzip2 does.
class BitWriter {
 public:
  void Put(uint32_t value, int bits) {
    acc_ = (acc_ << bits) | (value & ((uint64_t{1} << bits) - 1));
    n_ += bits;
    while (n_ >= 8) {
      n_ -= 8;
      out_.push_back(static_cast<char>(acc_ >> n_));
    }
  }
  // `bits` bits of `src` from its bit `from` on.
  void Append(const unsigned char* src, uint64_t from, uint64_t bits) {
    const unsigned char* p = src + from / 8;
    const int shift = static_cast<int>(from % 8);
    out_.reserve(out_.size() + bits / 8 + 16);
    for (; bits >= 8; bits -= 8, ++p)
      Put(shift == 0 ? *p : static_cast<uint32_t>((p[0] << shift) | (p[1] >> (8 - shift))) & 0xff, 8);
    for (uint64_t i = 0; i < bits; ++i) {
      const uint64_t at = static_cast<uint64_t>(shift) + i;
      Put((p[at / 8] >> (7 - at % 8)) & 1, 1);
    }
  }
  // The bytes written, the last one padded with zero bits.
  std::string Finish() {
    if (n_ > 0) Put(0, 8 - n_);
    return std::move(out_);
  }

 private:
  std::string out_;
  uint64_t acc_ = 0;
  int n_ = 0;
};

// One block (or, after merges, the pieces a chance magic split it into).
struct Job {
  uint64_t seq = 0;
  int level = 9;
  std::string bits;  // from the block magic on, most significant bit first
  uint64_t nbits = 0;
  bool last_in_stream = false;  // the stream's end-of-stream magic follows
  uint32_t stream_crc = 0;      // when last_in_stream: the stream's stored combined CRC
  // Set by the decoding thread; read once done.
  bool done = false;
  bool ok = false;
  std::vector<std::string> out;

  uint32_t BlockCrc() const {
    const auto* b = reinterpret_cast<const unsigned char*>(bits.data());
    uint32_t crc = 0;
    for (int i = 48; i < 80; ++i) crc = (crc << 1) | ((b[i / 8] >> (7 - i % 8)) & 1);
    return crc;
  }
};

// Reads the file and cuts it into jobs, one block each.
class Splitter {
 public:
  enum class Step { kJob, kEnd, kUnexplained };

  explicit Splitter(int fd) : fd_(fd) {}

  // The next block into *job; kEnd after the last stream; kUnexplained for
  // anything DecodeBzip2File has to word (or a read error).
  Step Next(Job* job) {
    for (;;) {
      if (!in_stream_) {
        if (!Have(header_ + 1)) return streams_ > 0 && !read_error_ ? Step::kEnd : Step::kUnexplained;
        if (!Have(header_ + 4) || Byte(header_) != 'B' || Byte(header_ + 1) != 'Z' || Byte(header_ + 2) != 'h' ||
            Byte(header_ + 3) < '1' || Byte(header_ + 3) > '9')
          return Step::kUnexplained;
        level_ = Byte(header_ + 3) - '0';
        ++streams_;
        block_ = (header_ + 4) * 8;
        if (!Have((block_ + 80 + 7) / 8)) return Step::kUnexplained;
        const uint64_t magic = Bits(block_, 48);
        if (magic == kEndMagic) {  // a stream of no blocks: its combined CRC is 0
          if (Bits(block_ + 48, 32) != 0) return Step::kUnexplained;
          header_ = (block_ + 80 + 7) / 8;
          continue;
        }
        if (magic != kBlockMagic) return Step::kUnexplained;
        in_stream_ = true;
      }
      uint64_t from = block_ + 80;  // after the block's magic and CRC
      for (;;) {
        bool end = false;
        const uint64_t at = FindMagic(from, &end);
        if (at == UINT64_MAX) return Step::kUnexplained;
        if (!end) {
          Cut(at, job);
          job->last_in_stream = false;
          block_ = at;
          return Step::kJob;
        }
        const uint64_t next = (at + 80 + 7) / 8;  // the byte after the stream
        const bool stream_end = Have(next) && (!Have(next + 1) || (Have(next + 4) && Byte(next) == 'B' &&
                                                                   Byte(next + 1) == 'Z' && Byte(next + 2) == 'h' &&
                                                                   Byte(next + 3) >= '1' && Byte(next + 3) <= '9'));
        if (!stream_end) {  // by chance inside the data, or trailing bytes: the block goes on
          from = at + 1;
          continue;
        }
        Cut(at, job);
        job->last_in_stream = true;
        job->stream_crc = static_cast<uint32_t>(Bits(at + 48, 32));
        in_stream_ = false;
        header_ = next;
        return Step::kJob;
      }
    }
  }

 private:
  // True when the file's bytes before `end` are in buf_ (reading on).
  bool Have(uint64_t end) {
    while (base_ + buf_.size() < end && !eof_) {
      // Drops the bytes before the current block (read once, never again).
      const uint64_t keep = in_stream_ ? block_ / 8 : header_;
      if (keep > base_ && keep - base_ >= (8u << 20)) {
        buf_.erase(0, keep - base_);
        base_ = keep;
      }
      const size_t size = buf_.size();
      buf_.resize(size + kPiece);
      ssize_t n;
      do {
        n = ::read(fd_, buf_.data() + size, kPiece);
      } while (n < 0 && errno == EINTR);
      buf_.resize(size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
      if (n < 0) read_error_ = true;
      if (n <= 0) eof_ = true;
    }
    return base_ + buf_.size() >= end;
  }
  unsigned char Byte(uint64_t at) const { return static_cast<unsigned char>(buf_[at - base_]); }
  // `n` <= 56 bits from bit `at`. REQUIRES: Have((at + n + 7) / 8).
  uint64_t Bits(uint64_t at, int n) const {
    uint64_t v = 0;
    for (uint64_t b = at / 8; b < (at + n + 7) / 8; ++b) v = (v << 8) | Byte(b);
    const uint64_t end_bit = ((at + n + 7) / 8) * 8;
    return (v >> (end_bit - at - n)) & ((uint64_t{1} << n) - 1);
  }
  // The bit at which the first block or end-of-stream magic at or after bit
  // `from` starts (*end: which), with the 80 bits from it in buf_; UINT64_MAX
  // when the file ends first.
  uint64_t FindMagic(uint64_t from, bool* end) {
    uint64_t b = from / 8;  // the next byte to shift in
    uint64_t w = 0;         // the bits before byte b
    // (Bytes dropped already are before `from`: zeros do as well.)
    for (uint64_t i = std::max(base_, b >= 7 ? b - 7 : 0); i < b; ++i) w = (w << 8) | Byte(i);
    for (;; ++b) {
      if (b - base_ >= buf_.size() && !Have(b + 1)) return UINT64_MAX;
      w = (w << 8) | Byte(b);
      // A magic ending in byte b, at its bit 7 - shift.
      for (int shift = 7; shift >= 0; --shift) {
        const uint64_t v = (w >> shift) & kMagicMask;
        if (v != kBlockMagic && v != kEndMagic) continue;
        const uint64_t start = b * 8 + 8 - static_cast<uint64_t>(shift) - 48;
        if (b * 8 + 8 < static_cast<uint64_t>(shift) + 48 || start < from) continue;
        if (!Have((start + 80 + 7) / 8)) return UINT64_MAX;
        *end = v == kEndMagic;
        return start;
      }
    }
  }
  // The current block, bits [block_, end), into *job.
  void Cut(uint64_t end, Job* job) {
    BitWriter w;
    w.Append(reinterpret_cast<const unsigned char*>(buf_.data()), block_ - base_ * 8, end - block_);
    job->bits = w.Finish();
    job->nbits = end - block_;
    job->level = level_;
  }

  const int fd_;
  std::string buf_;    // the file's bytes from base_ on
  uint64_t base_ = 0;  // file offset of buf_[0]
  bool eof_ = false;
  bool read_error_ = false;
  int streams_ = 0;
  bool in_stream_ = false;
  uint64_t header_ = 0;  // when !in_stream_: the byte where the next stream starts
  int level_ = 9;
  uint64_t block_ = 0;  // when in_stream_: the bit where the current block starts
};

// The decoding threads and the window of jobs they share with the caller.
class Decoder {
 public:
  explicit Decoder(size_t max_decoded) : max_decoded_(max_decoded) {}
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;
  ~Decoder() { Stop(); }

  // Starts `threads` decoding threads; false when a thread cannot start.
  bool Start(int threads) {
    try {
      for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
    } catch (const std::system_error&) {
      return false;
    }
    return true;
  }
  // Stops the threads (a job being decoded fails) and joins them.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

  // Queues `job` for decoding; the caller keeps it until Wait() and Done().
  void Add(Job* job) {
    std::lock_guard<std::mutex> lock(mu_);
    todo_.push_back(job);
    cv_.notify_all();
  }
  void Wait(const Job* job) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return job->done; });
  }
  // `job`'s bytes are passed on (or dropped): the next job may fill memory.
  void Done(const Job* job) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& piece : job->out) in_flight_ -= piece.size();
    front_ = std::max(front_, job->seq + 1);
    cv_.notify_all();
  }

  // Decodes `job` (its block as a stream of its own) into job->out; false
  // on any error or when stopped. Past the cap on decoded bytes, a job
  // waits unless it is the next one to pass on (which never waits).
  bool Decode(Job* job, bool wait) {
    if (job->nbits < 80) return false;  // not even a block header
    BitWriter w;
    for (const char c : {'B', 'Z', 'h'}) w.Put(static_cast<unsigned char>(c), 8);
    w.Put(static_cast<uint32_t>('0' + job->level), 8);
    w.Append(reinterpret_cast<const unsigned char*>(job->bits.data()), 0, job->nbits);
    w.Put(static_cast<uint32_t>(kEndMagic >> 24), 24);
    w.Put(static_cast<uint32_t>(kEndMagic & 0xffffff), 24);
    w.Put(job->BlockCrc(), 32);
    std::string in = w.Finish();
    bz_stream s{};
    if (BZ2_bzDecompressInit(&s, /*verbosity=*/0, /*small=*/0) != BZ_OK) return false;
    s.next_in = in.data();
    s.avail_in = static_cast<unsigned int>(in.size());
    int rc = BZ_OK;
    while (rc == BZ_OK) {
      std::string piece(kPiece, '\0');
      s.next_out = piece.data();
      s.avail_out = static_cast<unsigned int>(kPiece);
      rc = BZ2_bzDecompress(&s);
      piece.resize(kPiece - s.avail_out);
      if (rc != BZ_OK && rc != BZ_STREAM_END) break;
      if (rc == BZ_OK && piece.empty() && s.avail_in == 0) {  // the block ends early
        rc = BZ_UNEXPECTED_EOF;
        break;
      }
      std::unique_lock<std::mutex> lock(mu_);
      in_flight_ += piece.size();
      if (wait) cv_.wait(lock, [&] { return stop_ || in_flight_ <= max_decoded_ || job->seq == front_; });
      if (stop_) rc = BZ_SEQUENCE_ERROR;
      if (!piece.empty()) job->out.push_back(std::move(piece));
    }
    BZ2_bzDecompressEnd(&s);
    return rc == BZ_STREAM_END && s.avail_in == 0;
  }

 private:
  void Work() {
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        job = todo_.front();
        todo_.pop_front();
      }
      const bool ok = Decode(job, /*wait=*/true);
      std::lock_guard<std::mutex> lock(mu_);
      job->ok = ok;
      job->done = true;
      cv_.notify_all();
    }
  }

  const size_t max_decoded_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;      // guarded by mu_
  std::deque<Job*> todo_;  // guarded by mu_
  size_t in_flight_ = 0;   // guarded by mu_: decoded bytes not yet passed on
  uint64_t front_ = 0;     // guarded by mu_: the seq of the next job to pass on
  std::vector<std::thread> threads_;
};

// Closes a file descriptor.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

absl::Status DecodeBzip2FileParallel(const std::string& path, int threads,
                                     const std::function<bool(std::string_view)>& sink, size_t max_decoded) {
  if (threads <= 1) return DecodeBzip2File(path, sink);
  Fd in;
  in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd < 0) return DecodeBzip2File(path, sink);  // its message
  ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  Splitter splitter(in.fd);
  std::deque<std::unique_ptr<Job>> window;  // cut, not yet passed on; in order
  Decoder decoder(max_decoded);             // (stopped before the jobs are freed)
  uint64_t passed = 0;                      // bytes passed to sink
  // What the blocks cannot explain: DecodeBzip2File decodes the file again,
  // from its start, and words the error; the bytes passed on already are
  // skipped.
  const auto serial = [&] {
    decoder.Stop();
    uint64_t skip = passed;
    return DecodeBzip2File(path, [&](std::string_view bytes) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip, bytes.size()));
      skip -= n;
      bytes.remove_prefix(n);
      return bytes.empty() || sink(bytes);
    });
  };
  if (!decoder.Start(threads))
    return absl::ResourceExhaustedError(fmt::format("input '{}': cannot start bzip2 decoding threads", path));
  bool cut_all = false;      // the splitter is at the end
  bool unexplained = false;  // ... and could not explain it
  uint64_t seq = 0;
  // Cuts the next job into the window; false at the end.
  const auto cut = [&](bool queue) {
    if (cut_all) return false;
    auto job = std::make_unique<Job>();
    const Splitter::Step step = splitter.Next(job.get());
    if (step != Splitter::Step::kJob) {
      cut_all = true;
      unexplained = step == Splitter::Step::kUnexplained;
      return false;
    }
    job->seq = seq++;
    if (queue) decoder.Add(job.get());
    window.push_back(std::move(job));
    return true;
  };
  uint32_t combined = 0;  // of the current stream's blocks passed on
  // Blocks in flight: one at first, twice as many after each block passed
  // on, up to 2 x threads. A reader that takes only the first bytes (the
  // plan's samples through Bzip2Pipes) then costs about what it reads.
  size_t limit = 1;
  for (;;) {
    while (window.size() < limit && cut(/*queue=*/true)) {
    }
    if (window.empty()) return unexplained ? serial() : absl::OkStatus();
    std::unique_ptr<Job> job = std::move(window.front());
    window.pop_front();
    decoder.Wait(job.get());
    // Failed: cut at a chance magic, or damaged. Merged with the next
    // pieces of the same stream while the whole could still be one block.
    while (!job->ok) {
      if (job->last_in_stream || job->nbits > kMaxBlockBits || (window.empty() && !cut(/*queue=*/true)))
        return serial();
      std::unique_ptr<Job> next = std::move(window.front());
      window.pop_front();
      decoder.Wait(next.get());
      decoder.Done(next.get());
      BitWriter w;
      w.Append(reinterpret_cast<const unsigned char*>(job->bits.data()), 0, job->nbits);
      w.Append(reinterpret_cast<const unsigned char*>(next->bits.data()), 0, next->nbits);
      decoder.Done(job.get());
      job->bits = w.Finish();
      job->nbits += next->nbits;
      job->seq = next->seq;
      job->last_in_stream = next->last_in_stream;
      job->stream_crc = next->stream_crc;
      job->out.clear();
      job->ok = decoder.Decode(job.get(), /*wait=*/false);
    }
    combined = ((combined << 1) | (combined >> 31)) ^ job->BlockCrc();
    if (job->last_in_stream) {
      if (combined != job->stream_crc) return serial();
      combined = 0;
    }
    for (const std::string& piece : job->out) {
      if (!sink(piece)) return absl::CancelledError(fmt::format("input '{}': decoding stopped", path));
      passed += piece.size();
    }
    decoder.Done(job.get());
    limit = std::min(2 * limit, static_cast<size_t>(2 * threads));
  }
}

}  // namespace proberows
