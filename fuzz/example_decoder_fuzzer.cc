// libFuzzer target for the Example decoder (and, on the same input, the row
// encoder's payload checks).
//
// Properties checked:
//  1. DecodeExample never crashes or reads out of bounds; an error is
//     DataLoss with a message naming a byte offset.
//  2. DecodedExampleToJson (plain and regrouped) never crashes or throws, and
//     its output is valid JSON.
//  3. ExampleEncoder::EncodeRow on arbitrary payloads (the input cut into a
//     key segment and measurement payloads for a fixed schema) never
//     crashes; whatever it accepts decodes again, with one value per
//     measurement in every per-measurement feature.
//
// Build and run (clang):
//   cmake --preset fuzz -DDUCKDB_ROOT=... && cmake --build build/fuzz --target
//   example_decoder_fuzzer
//   ./build/fuzz/example_decoder_fuzzer -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proberows/example.h"

namespace {

using proberows::ColumnRole;
using proberows::ColumnSpec;
using proberows::DecodedExample;
using proberows::FeatureType;

void Check(bool condition) {
  if (!condition) std::abort();
}

void FuzzDecoder(std::string_view input) {
  absl::StatusOr<DecodedExample> decoded = proberows::DecodeExample(input);
  if (!decoded.ok()) {
    Check(decoded.status().code() == absl::StatusCode::kDataLoss);
    Check(std::string(decoded.status().message()).rfind("malformed tf.train.Example at byte offset ", 0) == 0);
    return;
  }
  for (bool regroup : {false, true}) {
    const std::string json = proberows::DecodedExampleToJson(*decoded, {.regroup_ragged = regroup});
    Check(nlohmann::json::accept(json));
  }
}

const proberows::ExampleEncoder& Encoder() {
  static const proberows::ExampleEncoder* const encoder = [] {
    auto enc = proberows::ExampleEncoder::Create({
        {"k", FeatureType::kBytes, false, ColumnRole::kKey},
        {"i", FeatureType::kInt64, false, ColumnRole::kPerMeasurement},
        {"f", FeatureType::kFloat, false, ColumnRole::kStatic},
        {"s", FeatureType::kBytes, true, ColumnRole::kPerMeasurement},
        {"l", FeatureType::kInt64, true, ColumnRole::kStatic},
        {"g", FeatureType::kFloat, true, ColumnRole::kPerMeasurement},
        {"n", FeatureType::kBytes, 2, ColumnRole::kPerMeasurement},  // nested lists (depth 2)
    });
    Check(enc.ok());
    return new proberows::ExampleEncoder(*std::move(enc));  // lives for the process
  }();
  return *encoder;
}

// Input layout: one length byte L, L bytes of key segment, then payloads,
// each preceded by one length byte.
void FuzzEncoder(std::string_view input) {
  if (input.empty()) return;
  const size_t key_len = static_cast<unsigned char>(input[0]);
  input.remove_prefix(1);
  if (key_len > input.size()) return;
  const std::string_view key = input.substr(0, key_len);
  input.remove_prefix(key_len);
  std::vector<std::string_view> payloads;
  while (!input.empty()) {
    const size_t len = static_cast<unsigned char>(input[0]);
    input.remove_prefix(1);
    if (len > input.size()) break;
    payloads.push_back(input.substr(0, len));
    input.remove_prefix(len);
  }
  std::string out = "x";
  const absl::Status status = Encoder().EncodeRow(key, payloads, &out);
  if (!status.ok()) {
    Check(out == "x");
    return;
  }
  absl::StatusOr<DecodedExample> decoded = proberows::DecodeExample(std::string_view(out).substr(1));
  Check(decoded.ok());
  Check(decoded->size() == 9);  // k, i, f, and two features per list column
  const auto* ints = std::get_if<std::vector<int64_t>>(&decoded->at("i"));
  Check(ints != nullptr && ints->size() == payloads.size());
  const auto* lengths = std::get_if<std::vector<int64_t>>(&decoded->at("s/ragged_row_lengths_0"));
  Check(lengths != nullptr && lengths->size() == payloads.size());
  const auto* static_lengths = std::get_if<std::vector<int64_t>>(&decoded->at("l/ragged_row_lengths_0"));
  Check(static_lengths != nullptr && static_lengths->size() == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzDecoder(input);
  FuzzEncoder(input);
  return 0;
}
