// FileIndex: what the postscript and footer of an ArrayRecord file say
// (where each data chunk begins and how many records it holds), loaded and
// validated; plus reading one data chunk checked against it. Shared by
// ArrayRecordReader and the verify/salvage functions.
#ifndef PROBEROWS_ARRAYRECORD_FILE_INDEX_H_
#define PROBEROWS_ARRAYRECORD_FILE_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "arrayrecord/chunk_reader.h"
#include "arrayrecord/simple_chunk.h"

namespace proberows::arrayrecord {

struct FileIndex {
  uint64_t file_size = 0;
  uint64_t postscript_offset = 0;  // file_size - 65536
  uint64_t footer_offset = 0;
  std::string writer_options;
  uint64_t num_records = 0;
  std::vector<uint64_t> chunk_offsets;
  std::vector<uint64_t> first_record;   // num_chunks + 1 entries; prefix sums of records
  std::vector<uint64_t> decoded_sizes;  // per chunk; kUnknownSize if the footer omits it
  uint64_t group_size = 0;              // records in the first chunk
  bool uniform = true;                  // every chunk but the last has group_size records

  static constexpr uint64_t kUnknownSize = ~uint64_t{0};

  size_t num_chunks() const { return chunk_offsets.size(); }
  // Where chunk i must end: the next chunk, or the footer.
  uint64_t ChunkLimit(size_t i) const { return i + 1 < chunk_offsets.size() ? chunk_offsets[i + 1] : footer_offset; }
  // The chunk holding record `index`. REQUIRES: index < num_records.
  size_t ChunkOfRecord(uint64_t index) const;
};

// Reads the postscript in the last 64 KiB block and returns the footer
// offset. Errors are kDataLoss naming file and offset.
[[nodiscard]] absl::Status ReadPostscript(ChunkReader& reader, uint64_t* footer_offset);

// Reads and validates the footer chunk at index->footer_offset (set
// file_size, postscript_offset and footer_offset first).
[[nodiscard]] absl::Status ReadFooter(ChunkReader& reader, FileIndex* index);

// ReadPostscript + ReadFooter.
[[nodiscard]] absl::Status LoadFileIndex(ChunkReader& reader, FileIndex* index);

// Reads data chunk `i` and decodes its records into `*decoded`, checking
// the chunk type and its record count and size against the footer. The
// records point into `*decoded` or into the reader's buffers (valid until
// the reader's next call) -- set `own_data` to copy the data into
// `*decoded` so that the records live as long as it.
[[nodiscard]] absl::Status ReadDataChunk(ChunkReader& reader, const FileIndex& index, size_t i, bool own_data,
                                         DecodedChunk* decoded);

// Reads a chunk at `begin` (< limit), requires a simple chunk and decodes it.
// Errors name the file and `begin`.
[[nodiscard]] absl::Status ReadSimpleChunk(ChunkReader& reader, uint64_t begin, uint64_t limit, std::string_view what,
                                           bool own_data, Chunk* chunk, DecodedChunk* decoded);

}  // namespace proberows::arrayrecord

#endif  // PROBEROWS_ARRAYRECORD_FILE_INDEX_H_
