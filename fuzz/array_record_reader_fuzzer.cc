// libFuzzer target: any bytes, opened as an ArrayRecord file from memory,
// must never crash, hang or allocate without bound -- whether through the
// reader (open, sequential, random access, ranges), verify, or salvage.
//
// The `fuzz` preset defines PROBEROWS_FUZZING, which makes hash checks pass
// (so the fuzzer reaches the decoders behind them) and caps declared
// decompressed sizes at 64 MiB.
//
//   cmake --preset fuzz -DDUCKDB_ROOT=... && cmake --build build/fuzz --target array_record_reader_fuzzer
//   build/fuzz/array_record_reader_fuzzer -max_total_time=60 corpus/ testdata/arrayrecord/
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proberows/array_record_reader.h"

namespace proberows {
namespace {

class MemoryFile final : public RandomAccessFile {
 public:
  MemoryFile(std::string path, std::string_view data) : path_(std::move(path)), data_(data) {}
  absl::Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    if (offset >= data_.size()) {
      *result = {};
      return absl::OkStatus();
    }
    const size_t available = std::min<uint64_t>(n, data_.size() - offset);
    std::memcpy(scratch, data_.data() + offset, available);
    *result = std::string_view(scratch, available);
    return absl::OkStatus();
  }
  uint64_t size() const override { return data_.size(); }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::string_view data_;
};

// Serves one read-only in-memory file; everything else is unsupported.
class MemoryEnv final : public Env {
 public:
  explicit MemoryEnv(std::string_view data) : data_(data) {}
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string&) override {
    return absl::UnimplementedError("read-only");
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return std::unique_ptr<RandomAccessFile>(new MemoryFile(path, data_));
  }
  absl::Status RenameFile(const std::string&, const std::string&) override {
    return absl::UnimplementedError("read-only");
  }
  absl::Status RemoveFile(const std::string&) override { return absl::UnimplementedError("read-only"); }
  absl::Status CreateDirs(const std::string&) override { return absl::UnimplementedError("read-only"); }
  absl::Status RemoveAll(const std::string&) override { return absl::UnimplementedError("read-only"); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string&) override {
    return absl::UnimplementedError("read-only");
  }
  bool FileExists(const std::string&) override { return true; }
  absl::StatusOr<uint64_t> GetFileSize(const std::string&) override { return data_.size(); }

 private:
  std::string_view data_;
};

}  // namespace
}  // namespace proberows

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using proberows::ArrayRecordReader;
  proberows::MemoryEnv env(std::string_view(reinterpret_cast<const char*>(data), size));
  uint64_t sink = 0;
  auto consume = [&sink](uint64_t index, std::string_view record) {
    sink += index + record.size();
    return absl::OkStatus();
  };
  auto reader = ArrayRecordReader::Open(&env, "fuzz.array_record");
  if (reader.ok()) {
    (void)(*reader)->ReadAll(consume);
    const uint64_t n = (*reader)->num_records();
    std::string record;
    for (uint64_t index : {uint64_t{0}, n / 2, n - 1, n}) (void)(*reader)->ReadRecord(index, &record);
    std::vector<std::string> records;
    (void)(*reader)->ReadRange(0, std::min<uint64_t>(n, 16), &records);
  }
  auto report = proberows::VerifyArrayRecordFile(&env, "fuzz.array_record");
  if (report.ok()) sink += report->ToString().size();
  (void)proberows::ReadUndamagedRecords(&env, "fuzz.array_record", consume);
  return sink == 42 ? 0 : 0;  // keep `sink` alive
}
