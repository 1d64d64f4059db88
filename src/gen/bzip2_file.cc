#include "gen/bzip2_file.h"

#include <bzlib.h>

#include <algorithm>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

// Frees a bz_stream set up by BZ2_bzCompressInit.
struct CompressStream {
  bz_stream s{};
  bool live = false;
  ~CompressStream() {
    if (live) BZ2_bzCompressEnd(&s);
  }
};

}  // namespace

absl::Status Bzip2File(Env* env, const std::string& from, const std::string& to) {
  constexpr size_t kChunk = 1 << 20;
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> in, env->NewRandomAccessFile(from));
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> out, env->NewWritableFile(to));
  CompressStream z;
  if (int rc = BZ2_bzCompressInit(&z.s, /*blockSize100k=*/9, /*verbosity=*/0, /*workFactor=*/0); rc != BZ_OK)
    return absl::ResourceExhaustedError(fmt::format("bzip2: cannot start compressing '{}' (libbz2 error {})", to, rc));
  z.live = true;
  std::string in_buf(kChunk, '\0');
  std::string out_buf(kChunk, '\0');
  const uint64_t size = in->size();
  uint64_t offset = 0;
  for (;;) {
    const bool last = offset >= size;
    std::string_view chunk;
    if (!last) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, size - offset));
      RETURN_IF_ERROR(in->Read(offset, n, in_buf.data(), &chunk));
      if (chunk.size() != n)
        return absl::DataLossError(
            fmt::format("bzip2: '{}' ended at byte {} of {}", from, offset + chunk.size(), size));
      offset += n;
    }
    z.s.next_in = const_cast<char*>(chunk.data());
    z.s.avail_in = static_cast<unsigned int>(chunk.size());
    for (;;) {
      z.s.next_out = out_buf.data();
      z.s.avail_out = static_cast<unsigned int>(out_buf.size());
      const int rc = BZ2_bzCompress(&z.s, last ? BZ_FINISH : BZ_RUN);
      if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK && rc != BZ_STREAM_END)
        return absl::InternalError(fmt::format("bzip2: compressing '{}' failed (libbz2 error {})", from, rc));
      const size_t produced = out_buf.size() - z.s.avail_out;
      if (produced > 0) RETURN_IF_ERROR(out->Append(std::string_view(out_buf.data(), produced)));
      if (last ? rc == BZ_STREAM_END : z.s.avail_in == 0) break;
    }
    if (last) break;
  }
  return out->Close();
}

}  // namespace proberows
