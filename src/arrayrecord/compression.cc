#include "arrayrecord/compression.h"

#include <snappy.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <fmt/format.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_WINDOWLOG_MAX
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <memory>

#include "arrayrecord/hash.h"
#include "util/varint.h"

namespace proberows::arrayrecord {
namespace {

// Decoded lengths up to this many bytes per compressed byte (plus 1 MiB) are
// allocated at once; beyond that the output grows as it is produced, so a
// corrupted length cannot make us allocate more than the data really decodes to.
constexpr uint64_t kOneShotRatio = 32;
constexpr uint64_t kOneShotSlack = uint64_t{1} << 20;

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};
struct BrotliEncoderDeleter {
  void operator()(BrotliEncoderState* state) const { BrotliEncoderDestroyInstance(state); }
};
struct BrotliDecoderDeleter {
  void operator()(BrotliDecoderState* state) const { BrotliDecoderDestroyInstance(state); }
};

ZSTD_CCtx* ThreadZstdCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}

ZSTD_DCtx* ThreadZstdDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

absl::Status ZstdError(std::string_view what, size_t code) {
  return absl::InternalError(fmt::format("zstd {}: {}", what, ZSTD_getErrorName(code)));
}

absl::Status CompressZstd(const CompressionParams& params, std::string_view src, std::string* dst) {
  ZSTD_CCtx* ctx = ThreadZstdCCtx();
  if (ctx == nullptr) return absl::ResourceExhaustedError("zstd: cannot allocate a compression context");
  size_t r = ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(r)) return ZstdError("reset", r);
  r = ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, params.level);
  if (ZSTD_isError(r)) return ZstdError("level", r);
  if (params.window_log.has_value()) {
    r = ZSTD_CCtx_setParameter(ctx, ZSTD_c_windowLog, *params.window_log);
    if (ZSTD_isError(r)) return ZstdError("window_log", r);
  }
  const size_t old_size = dst->size();
  const size_t bound = ZSTD_compressBound(src.size());
  dst->resize(old_size + bound);
  r = ZSTD_compress2(ctx, dst->data() + old_size, bound, src.data(), src.size());
  if (ZSTD_isError(r)) {
    dst->resize(old_size);
    return ZstdError("compress", r);
  }
  dst->resize(old_size + r);
  return absl::OkStatus();
}

absl::Status CompressBrotli(const CompressionParams& params, std::string_view src, std::string* dst) {
  std::unique_ptr<BrotliEncoderState, BrotliEncoderDeleter> state(
      BrotliEncoderCreateInstance(nullptr, nullptr, nullptr));
  if (state == nullptr) return absl::ResourceExhaustedError("brotli: cannot allocate an encoder");
  const int window_log = params.window_log.value_or(BROTLI_DEFAULT_WINDOW);
  BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_QUALITY, static_cast<uint32_t>(params.level));
  if (window_log > BROTLI_MAX_WINDOW_BITS) BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_LARGE_WINDOW, 1);
  BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_LGWIN, static_cast<uint32_t>(window_log));
  BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_SIZE_HINT,
                            static_cast<uint32_t>(std::min<size_t>(src.size(), uint32_t{1} << 30)));
  const size_t old_size = dst->size();
  // BrotliEncoderMaxCompressedSize is 0 when the bound overflows; we then grow.
  size_t capacity = std::max<size_t>(BrotliEncoderMaxCompressedSize(src.size()), 1024);
  dst->resize(old_size + capacity);
  size_t avail_in = src.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(src.data());
  size_t produced = 0;
  for (;;) {
    size_t avail_out = capacity - produced;
    uint8_t* next_out = reinterpret_cast<uint8_t*>(dst->data() + old_size + produced);
    if (!BrotliEncoderCompressStream(state.get(), BROTLI_OPERATION_FINISH, &avail_in, &next_in, &avail_out, &next_out,
                                     nullptr)) {
      dst->resize(old_size);
      return absl::InternalError("brotli: compression failed");
    }
    produced = capacity - avail_out;
    if (BrotliEncoderIsFinished(state.get())) break;
    if (avail_out == 0) {
      capacity *= 2;
      dst->resize(old_size + capacity);
    }
  }
  dst->resize(old_size + produced);
  return absl::OkStatus();
}

absl::Status CompressSnappy(std::string_view src, std::string* dst) {
  const size_t old_size = dst->size();
  dst->resize(old_size + snappy::MaxCompressedLength(src.size()));
  size_t n = 0;
  snappy::RawCompress(src.data(), src.size(), dst->data() + old_size, &n);
  dst->resize(old_size + n);
  return absl::OkStatus();
}

absl::Status Corrupt(std::string_view codec, std::string_view what) {
  return absl::DataLossError(fmt::format("{} data corrupt: {}", codec, what));
}

absl::Status LongerThanDeclared(std::string_view codec, uint64_t declared) {
  return Corrupt(codec, fmt::format("decodes to more than the declared {} bytes", declared));
}

absl::Status DecompressZstd(std::string_view src, uint64_t declared, std::string* scratch) {
  ZSTD_DCtx* ctx = ThreadZstdDCtx();
  if (ctx == nullptr) return absl::ResourceExhaustedError("zstd: cannot allocate a decompression context");
  if (declared <= kOneShotSlack + kOneShotRatio * src.size()) {
    scratch->resize(declared);
    const size_t r = ZSTD_decompressDCtx(ctx, scratch->data(), declared, src.data(), src.size());
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return LongerThanDeclared("zstd", declared);
      return Corrupt("zstd", ZSTD_getErrorName(r));
    }
    if (r != declared) {
      return Corrupt("zstd", fmt::format("decodes to {} bytes, declared {}", r, declared));
    }
    return absl::OkStatus();
  }
  // Streaming, growing the output up to declared + 1 bytes (one more byte
  // than allowed detects overlong data).
  size_t r = ZSTD_DCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  if (!ZSTD_isError(r)) r = ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX);
  if (ZSTD_isError(r)) return Corrupt("zstd", ZSTD_getErrorName(r));
  const uint64_t limit = declared + 1;
  size_t capacity = static_cast<size_t>(std::min<uint64_t>(limit, kOneShotSlack + kOneShotRatio * src.size()));
  scratch->resize(capacity);
  ZSTD_inBuffer in{src.data(), src.size(), 0};
  size_t produced = 0;
  for (;;) {
    ZSTD_outBuffer out{scratch->data(), capacity, produced};
    const size_t in_before = in.pos;
    r = ZSTD_decompressStream(ctx, &out, &in);
    if (ZSTD_isError(r)) {
      scratch->clear();
      return Corrupt("zstd", ZSTD_getErrorName(r));
    }
    const bool progress = in.pos != in_before || out.pos != produced;
    produced = out.pos;
    if (produced > declared) return LongerThanDeclared("zstd", declared);
    if (r == 0 && in.pos == in.size) break;
    if (produced == capacity) {
      capacity = static_cast<size_t>(std::min<uint64_t>(limit, uint64_t{capacity} * 2));
      scratch->resize(capacity);
    } else if (in.pos == in.size || !progress) {
      return Corrupt("zstd", "truncated stream");
    }
  }
  if (produced != declared) {
    return Corrupt("zstd", fmt::format("decodes to {} bytes, declared {}", produced, declared));
  }
  scratch->resize(produced);
  return absl::OkStatus();
}

absl::Status DecompressBrotli(std::string_view src, uint64_t declared, std::string* scratch) {
  std::unique_ptr<BrotliDecoderState, BrotliDecoderDeleter> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
  if (state == nullptr) return absl::ResourceExhaustedError("brotli: cannot allocate a decoder");
  BrotliDecoderSetParameter(state.get(), BROTLI_DECODER_PARAM_LARGE_WINDOW, 1);
  const uint64_t limit = declared + 1;
  size_t capacity = static_cast<size_t>(std::min<uint64_t>(limit, kOneShotSlack + kOneShotRatio * src.size()));
  scratch->resize(capacity);
  size_t avail_in = src.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(src.data());
  size_t produced = 0;
  for (;;) {
    size_t avail_out = capacity - produced;
    uint8_t* next_out = reinterpret_cast<uint8_t*>(scratch->data() + produced);
    const BrotliDecoderResult result =
        BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
    produced = capacity - avail_out;
    if (produced > declared) return LongerThanDeclared("brotli", declared);
    if (result == BROTLI_DECODER_RESULT_SUCCESS) {
      if (avail_in != 0) return Corrupt("brotli", "data after the end of the stream");
      break;
    }
    if (result == BROTLI_DECODER_RESULT_ERROR) {
      return Corrupt("brotli", BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())));
    }
    if (result == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return Corrupt("brotli", "truncated stream");
    // BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
    capacity = static_cast<size_t>(std::min<uint64_t>(limit, uint64_t{capacity} * 2));
    scratch->resize(capacity);
  }
  if (produced != declared) {
    return Corrupt("brotli", fmt::format("decodes to {} bytes, declared {}", produced, declared));
  }
  scratch->resize(produced);
  return absl::OkStatus();
}

absl::Status DecompressSnappy(std::string_view src, uint64_t declared, std::string* scratch) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(src.data(), src.size(), &length)) {
    return Corrupt("snappy", "bad length header");
  }
  if (length != declared) {
    return Corrupt("snappy", fmt::format("stream holds {} bytes, declared {}", length, declared));
  }
  // Snappy expands at most ~22x, so anything beyond this is corrupt.
  if (length > kOneShotRatio * src.size() + 64) return Corrupt("snappy", "impossible length");
  scratch->resize(length);
  if (!snappy::RawUncompress(src.data(), src.size(), scratch->data())) {
    return Corrupt("snappy", "malformed stream");
  }
  return absl::OkStatus();
}

}  // namespace

std::string CompressionTypeName(uint8_t type) {
  switch (static_cast<CompressionType>(type)) {
    case CompressionType::kNone: return "none";
    case CompressionType::kBrotli: return "brotli";
    case CompressionType::kZstd: return "zstd";
    case CompressionType::kSnappy: return "snappy";
  }
  return fmt::format("0x{:02x}", type);
}

absl::Status CompressBuffer(const CompressionParams& params, std::string_view src, std::string* dst) {
  if (params.type == CompressionType::kNone) {
    dst->append(src);
    return absl::OkStatus();
  }
  PutVarint64(dst, src.size());
  switch (params.type) {
    case CompressionType::kZstd: return CompressZstd(params, src, dst);
    case CompressionType::kBrotli: return CompressBrotli(params, src, dst);
    case CompressionType::kSnappy: return CompressSnappy(src, dst);
    case CompressionType::kNone: break;
  }
  return absl::InternalError("unreachable compression type");
}

absl::Status DecompressBuffer(uint8_t type, std::string_view src, uint64_t max_size, std::string* scratch,
                              std::string_view* out) {
  const auto compression = static_cast<CompressionType>(type);
  if (compression == CompressionType::kNone) {
    if (src.size() > max_size) {
      return absl::DataLossError(
          fmt::format("uncompressed buffer of {} bytes exceeds the expected {}", src.size(), max_size));
    }
    *out = src;
    return absl::OkStatus();
  }
  if (compression != CompressionType::kZstd && compression != CompressionType::kBrotli &&
      compression != CompressionType::kSnappy) {
    return absl::DataLossError(fmt::format("unknown compression type 0x{:02x}", type));
  }
  uint64_t declared = 0;
  if (!GetVarint64(&src, &declared)) {
    return absl::DataLossError(fmt::format("{} buffer: truncated length prefix", CompressionTypeName(type)));
  }
  // Fuzz builds skip hash checks, so cap what a few fuzzed bytes may ask for.
  if (kFuzzingBuild && declared > (uint64_t{64} << 20)) {
    return absl::DataLossError("fuzzing build: declared size above 64 MiB");
  }
  if (declared > max_size) {
    return absl::DataLossError(fmt::format("{} buffer declares {} bytes, more than the expected {}",
                                           CompressionTypeName(type), declared, max_size));
  }
  absl::Status status;
  switch (compression) {
    case CompressionType::kZstd: status = DecompressZstd(src, declared, scratch); break;
    case CompressionType::kBrotli: status = DecompressBrotli(src, declared, scratch); break;
    default: status = DecompressSnappy(src, declared, scratch); break;
  }
  if (!status.ok()) return status;
  *out = std::string_view(*scratch);
  return absl::OkStatus();
}

}  // namespace proberows::arrayrecord
