// VerifyArrayRecordFile and ReadUndamagedRecords: a chunk-by-chunk walk over
// the whole file that resynchronizes on block headers after damage.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "arrayrecord/block_layout.h"
#include "arrayrecord/chunk_reader.h"
#include "arrayrecord/file_index.h"
#include "arrayrecord/footer.h"
#include "arrayrecord/simple_chunk.h"
#include "proberows/array_record_verify.h"
#include "util/status_macros.h"

namespace proberows {

using arrayrecord::Chunk;
using arrayrecord::ChunkReader;
using arrayrecord::ChunkType;
using arrayrecord::DecodedChunk;
using arrayrecord::FileIndex;
using arrayrecord::kBlockHeaderSize;
using arrayrecord::kBlockSize;

namespace {

// The walk reads the file in windows of this size.
constexpr uint64_t kScanWindow = uint64_t{4} << 20;
constexpr uint64_t kSignatureEnd = kBlockHeaderSize + arrayrecord::kChunkHeaderSize;

// Splits "<path>: <what> at offset <N>" (ChunkReader::Error) into N and what.
ArrayRecordProblem ToProblem(const absl::Status& status, const std::string& path, uint64_t fallback_offset) {
  std::string message = StatusMessage(status);
  const std::string prefix = path + ": ";
  if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
  ArrayRecordProblem problem{fallback_offset, message};
  const std::string marker = " at offset ";
  const size_t at = message.rfind(marker);
  if (at != std::string::npos) {
    const std::string digits = message.substr(at + marker.size());
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos) {
      problem.offset = std::stoull(digits);
      problem.description = message.substr(0, at);
    }
  }
  return problem;
}

using ChunkFn = std::function<void(const Chunk& chunk)>;
using ProblemFn = std::function<void(const ArrayRecordProblem& problem)>;

// After damage at `pos`, finds the next chunk boundary that a valid block
// header vouches for, or the file size if there is none.
uint64_t Resync(ChunkReader& reader, uint64_t pos, const ProblemFn& on_problem) {
  const uint64_t size = reader.file_size();
  for (uint64_t block = pos - pos % kBlockSize + kBlockSize; block + kBlockHeaderSize <= size; block += kBlockSize) {
    arrayrecord::BlockHeader header;
    const absl::Status status = reader.ReadBlockHeader(block, &header);
    if (!status.ok()) {
      on_problem(ToProblem(status, reader.path(), block));
      continue;
    }
    if (header.previous_chunk == 0) return block;
    if (header.previous_chunk <= block && header.next_chunk > 0 && header.next_chunk <= size - block &&
        arrayrecord::IsPossibleChunkBoundary(block + header.next_chunk)) {
      return block + header.next_chunk;
    }
    on_problem({block, fmt::format("block header points to an impossible chunk end {}", block + header.next_chunk)});
  }
  return size;
}

// Walks every chunk from `start` to the end of the file. After damage, the
// walk goes on at the next of `known_offsets` (sorted chunk positions from
// an intact footer) or at the next chunk a block header vouches for,
// whichever comes first.
void WalkChunks(ChunkReader& reader, uint64_t start, const std::vector<uint64_t>& known_offsets,
                const ChunkFn& on_chunk, const ProblemFn& on_problem) {
  const uint64_t size = reader.file_size();
  uint64_t pos = start;
  Chunk chunk;
  while (pos < size) {
    if (!reader.InWindow(pos, std::min(size, pos + kBlockSize))) {
      if (const absl::Status status = reader.Prefetch(pos, std::min(size, pos + kScanWindow)); !status.ok()) {
        on_problem(ToProblem(status, reader.path(), pos));
        return;
      }
    }
    const absl::Status status = reader.ReadChunk(pos, size, &chunk);
    if (status.ok()) {
      on_chunk(chunk);
      pos = chunk.end;
      continue;
    }
    on_problem(ToProblem(status, reader.path(), pos));
    if (chunk.header_valid && chunk.end > pos && chunk.end <= size) {
      pos = chunk.end;  // the header is trustworthy: skip just this chunk
    } else if (chunk.header_valid && chunk.end > size) {
      return;  // truncated: nothing follows
    } else {
      const auto known = std::upper_bound(known_offsets.begin(), known_offsets.end(), pos);
      const uint64_t known_next = known == known_offsets.end() ? size : *known;
      const uint64_t next = Resync(reader, pos, on_problem);
      if (known_next <= next) {
        pos = known_next;
        continue;
      }
      if (next < size) {
        on_problem({pos, fmt::format("damaged bytes [{}, {}) skipped up to the next chunk a block header vouches for",
                                     pos, next)});
      }
      pos = next;
    }
  }
}

bool IsFooterLike(const DecodedChunk& decoded) {
  if (decoded.num_records() == 0) return false;
  arrayrecord::FooterMetadata metadata;
  return arrayrecord::ParseFooterMetadata(decoded.record(0), &metadata) && metadata.has_array_record_metadata &&
         metadata.version.value_or(0) == arrayrecord::kArrayRecordVersion;
}

bool IsPostscriptLike(const DecodedChunk& decoded) {
  if (decoded.num_records() == 0) return false;
  arrayrecord::Postscript postscript;
  return arrayrecord::ParsePostscript(decoded.record(0), &postscript) &&
         postscript.magic.value_or(0) == arrayrecord::kArrayRecordMagic;
}

absl::Status DecodeAt(ChunkReader& reader, const Chunk& chunk, DecodedChunk* decoded) {
  const absl::Status status = arrayrecord::DecodeSimpleChunk(chunk.header, chunk.data, decoded);
  if (status.ok()) return status;
  return reader.Error(fmt::format("data chunk: {}", StatusMessage(status)), chunk.begin);
}

}  // namespace

std::string VerifyReport::ToString() const {
  std::string out = fmt::format(
      "file size {}: {} intact data chunks with {} records, {} padding chunks; signature {}, postscript {}, "
      "footer {}",
      file_size, num_data_chunks, num_records, num_padding_chunks, signature_ok ? "ok" : "BAD",
      postscript_ok ? "ok" : "BAD", footer_ok ? "ok" : "BAD");
  if (footer_ok) {
    out += fmt::format(" ({} chunks, {} records, writer options \"{}\")", footer_num_chunks, footer_num_records,
                       writer_options);
  }
  out += problems.empty() ? "\nno problems found\n" : fmt::format("\n{} problems:\n", problems.size());
  for (const ArrayRecordProblem& problem : problems) {
    out += fmt::format("  offset {}: {}\n", problem.offset, problem.description);
  }
  return out;
}

absl::StatusOr<VerifyReport> VerifyArrayRecordFile(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  ChunkReader reader(file.get());
  VerifyReport report;
  report.file_size = reader.file_size();
  auto add = [&report](const ArrayRecordProblem& problem) { report.problems.push_back(problem); };

  // The index, as a reader sees it.
  FileIndex index;
  index.file_size = report.file_size;
  if (absl::Status status = arrayrecord::ReadPostscript(reader, &index.footer_offset); !status.ok()) {
    add(ToProblem(status, path, report.file_size));
  } else {
    report.postscript_ok = true;
    index.postscript_offset = report.file_size - kBlockSize;
    if (absl::Status footer = arrayrecord::ReadFooter(reader, &index); !footer.ok()) {
      add(ToProblem(footer, path, index.footer_offset));
    } else {
      report.footer_ok = true;
      report.footer_num_chunks = index.num_chunks();
      report.footer_num_records = index.num_records;
      report.writer_options = index.writer_options;
    }
  }

  // The walk over every chunk.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> found;  // offset -> (records, decoded bytes)
  DecodedChunk decoded;
  bool walked_past_footer = false;
  std::vector<uint64_t> known_offsets;
  if (report.footer_ok) {
    known_offsets = index.chunk_offsets;
    known_offsets.push_back(index.footer_offset);
  }
  if (report.postscript_ok) known_offsets.push_back(index.postscript_offset);
  WalkChunks(
      reader, 0, known_offsets,
      [&](const Chunk& chunk) {
        const uint8_t type = chunk.header.chunk_type;
        if (chunk.begin == 0) {
          if (type == static_cast<uint8_t>(ChunkType::kFileSignature)) {
            report.signature_ok = true;
          } else {
            add({0, "file does not begin with a Riegeli file signature chunk"});
          }
          return;
        }
        switch (static_cast<ChunkType>(type)) {
          case ChunkType::kPadding: ++report.num_padding_chunks; return;
          case ChunkType::kFileMetadata: return;
          case ChunkType::kFileSignature: add({chunk.begin, "file signature chunk in the middle of the file"}); return;
          case ChunkType::kTransposed:
            add({chunk.begin, "transposed chunk: not supported, records not checked"});
            return;
          case ChunkType::kSimple: break;
          default: add({chunk.begin, fmt::format("unknown chunk type 0x{:02x}", type)}); return;
        }
        if (report.postscript_ok && chunk.begin == index.postscript_offset) return;  // checked above
        if (report.postscript_ok && chunk.begin == index.footer_offset) {
          walked_past_footer = true;
          return;
        }
        if (walked_past_footer) {
          add({chunk.begin, "simple chunk between the footer and the postscript"});
          return;
        }
        if (absl::Status status = DecodeAt(reader, chunk, &decoded); !status.ok()) {
          add(ToProblem(status, path, chunk.begin));
          return;
        }
        if (!report.postscript_ok && chunk.begin >= report.file_size - std::min(report.file_size, kBlockSize) &&
            IsPostscriptLike(decoded)) {
          return;
        }
        found[chunk.begin] = {chunk.header.num_records, chunk.header.decoded_data_size};
      },
      add);
  if (report.file_size < kSignatureEnd) add({0, "file too small for a Riegeli file signature"});

  // Without a postscript, the last footer-like chunk is taken as the footer.
  if (!report.postscript_ok && !found.empty()) {
    Chunk chunk;
    DecodedChunk last;
    const uint64_t offset = found.rbegin()->first;
    if (reader.ReadChunk(offset, report.file_size, &chunk).ok() &&
        arrayrecord::DecodeSimpleChunk(chunk.header, chunk.data, &last).ok() && IsFooterLike(last)) {
      found.erase(offset);
    }
  }

  // Cross-check the footer with the chunks found.
  std::multimap<uint64_t, size_t> problems_at;  // offset -> index in report.problems
  for (size_t i = 0; i < report.problems.size(); ++i) problems_at.emplace(report.problems[i].offset, i);
  if (report.footer_ok) {
    for (size_t i = 0; i < index.num_chunks(); ++i) {
      const uint64_t offset = index.chunk_offsets[i];
      const uint64_t records = index.first_record[i + 1] - index.first_record[i];
      const std::string which =
          fmt::format("data chunk {} (records [{}, {}))", i, index.first_record[i], index.first_record[i + 1]);
      auto it = found.find(offset);
      if (it == found.end()) {
        DecodedChunk chunk_records;
        const absl::Status status = arrayrecord::ReadDataChunk(reader, index, i, /*own_data=*/false, &chunk_records);
        if (status.ok()) {
          found[offset] = {records, chunk_records.values().size()};  // skipped by the walk, but intact
          continue;
        }
        const auto [first, last] = problems_at.equal_range(offset);
        if (first == last) {
          ArrayRecordProblem problem = ToProblem(status, path, offset);
          problem.description = fmt::format("{}: {}", which, problem.description);
          add(problem);
        } else {
          for (auto it = first; it != last; ++it) {
            ArrayRecordProblem& problem = report.problems[it->second];
            problem.description = fmt::format("{}: {}", which, problem.description);
          }
        }
        continue;
      }
      if (it->second.first != records) {
        add({offset, fmt::format("{}: holds {} records but the footer says {}", which, it->second.first, records)});
      } else if (index.decoded_sizes[i] != FileIndex::kUnknownSize && it->second.second != index.decoded_sizes[i]) {
        add({offset, fmt::format("{}: holds {} bytes of records but the footer says {}", which, it->second.second,
                                 index.decoded_sizes[i])});
      }
    }
    const std::set<uint64_t> listed(index.chunk_offsets.begin(), index.chunk_offsets.end());
    for (const auto& [offset, info] : found) {
      if (listed.count(offset) == 0) {
        add({offset, fmt::format("data chunk with {} records is not listed in the footer", info.first)});
      }
    }
    if (!index.uniform) {
      add({index.footer_offset,
           fmt::format("data chunks hold uneven numbers of records (the first holds {}): readers that locate "
                       "record i in chunk i / group_size will misplace records",
                       index.group_size)});
    }
  }
  for (const auto& [offset, info] : found) {
    ++report.num_data_chunks;
    report.num_records += info.first;
  }

  // Sort by offset, drop exact duplicates (a damaged block header can be met twice).
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const ArrayRecordProblem& a, const ArrayRecordProblem& b) { return a.offset < b.offset; });
  report.problems.erase(std::unique(report.problems.begin(), report.problems.end(),
                                    [](const ArrayRecordProblem& a, const ArrayRecordProblem& b) {
                                      return a.offset == b.offset && a.description == b.description;
                                    }),
                        report.problems.end());
  return report;
}

absl::StatusOr<RecoveryReport> ReadUndamagedRecords(Env* env, const std::string& path,
                                                    const std::function<absl::Status(uint64_t, std::string_view)>& fn) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  ChunkReader reader(file.get());
  RecoveryReport report;
  DecodedChunk decoded;

  FileIndex index;
  if (arrayrecord::LoadFileIndex(reader, &index).ok()) {
    report.used_footer = true;
    for (size_t i = 0; i < index.num_chunks(); ++i) {
      absl::Status status = reader.Prefetch(index.chunk_offsets[i], index.ChunkLimit(i));
      if (status.ok()) status = arrayrecord::ReadDataChunk(reader, index, i, /*own_data=*/false, &decoded);
      if (!status.ok()) {
        if (status.code() != absl::StatusCode::kDataLoss) return status;  // I/O error
        report.skipped.push_back(
            {index.chunk_offsets[i], index.first_record[i], index.first_record[i + 1], StatusMessage(status)});
        continue;
      }
      for (size_t r = 0; r < decoded.num_records(); ++r) {
        RETURN_IF_ERROR(fn(index.first_record[i] + r, decoded.record(r)));
      }
      ++report.chunks_recovered;
      report.records_recovered += decoded.num_records();
    }
    return report;
  }

  // No usable index: scan the file for intact simple chunks.
  struct Candidate {
    uint64_t offset;
    bool footer_like;
    bool postscript_like;
  };
  std::vector<Candidate> candidates;
  bool signature_found = false;
  const uint64_t size = reader.file_size();
  WalkChunks(
      reader, 0, {},
      [&](const Chunk& chunk) {
        if (chunk.begin == 0 && chunk.header.chunk_type == static_cast<uint8_t>(ChunkType::kFileSignature)) {
          signature_found = true;
        }
        if (chunk.header.chunk_type != static_cast<uint8_t>(ChunkType::kSimple)) return;
        if (absl::Status status = DecodeAt(reader, chunk, &decoded); !status.ok()) {
          report.skipped.push_back({chunk.begin, std::nullopt, std::nullopt, StatusMessage(status)});
          return;
        }
        candidates.push_back({chunk.begin, IsFooterLike(decoded), IsPostscriptLike(decoded)});
      },
      [&](const ArrayRecordProblem& problem) {
        report.skipped.push_back({problem.offset, std::nullopt, std::nullopt,
                                  fmt::format("{}: {} at offset {}", path, problem.description, problem.offset)});
      });
  if (!signature_found && candidates.empty()) {
    return absl::DataLossError(fmt::format("{}: no Riegeli chunks found: not an ArrayRecord file?", path));
  }
  while (!candidates.empty() && candidates.back().postscript_like) candidates.pop_back();
  if (!candidates.empty() && candidates.back().footer_like) candidates.pop_back();
  uint64_t next_index = 0;
  Chunk chunk;
  for (const Candidate& candidate : candidates) {
    RETURN_IF_ERROR(reader.ReadChunk(candidate.offset, size, &chunk));
    RETURN_IF_ERROR(DecodeAt(reader, chunk, &decoded));
    for (size_t r = 0; r < decoded.num_records(); ++r) RETURN_IF_ERROR(fn(next_index++, decoded.record(r)));
    ++report.chunks_recovered;
    report.records_recovered += decoded.num_records();
  }
  return report;
}

}  // namespace proberows
