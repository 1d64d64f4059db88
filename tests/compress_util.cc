#include "tests/compress_util.h"

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include "gtest/gtest.h"

namespace proberows {

std::string Bzip2(const std::string& text, int level) {
  std::string out(text.size() + text.size() / 100 + 1000, '\0');
  unsigned int size = static_cast<unsigned int>(out.size());
  EXPECT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &size, const_cast<char*>(text.data()),
                                     static_cast<unsigned int>(text.size()), level, 0, 0),
            BZ_OK);
  out.resize(size);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

std::string Gzip(const std::string& data, size_t split, size_t* flush_at) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(split);
  EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  if (flush_at != nullptr) *flush_at = z.total_out;
  z.avail_in = static_cast<uInt>(data.size() - split);
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace proberows
