// DecodeExample against protobuf: the same answers for every wire form
// protobuf accepts (packed/unpacked, unknown fields, merges, duplicates), and
// clean errors where protobuf refuses the input.
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include "example.pb.h"
#include "example/example_test_util.h"
#include "proberows/example.h"
#include "util/varint.h"

namespace proberows {
namespace {

using testing::FromHex;
using testing::Gen;
using testing::Hex;
using testing::ProtoToDecoded;
using testing::SameExample;

void PutTag(std::string* s, uint32_t field, uint32_t wire_type) { PutVarint64(s, (uint64_t{field} << 3) | wire_type); }

void PutLengthDelimited(std::string* s, uint32_t field, std::string_view payload) {
  PutTag(s, field, 2);
  PutVarint64(s, payload.size());
  s->append(payload);
}

// Writes random but valid protobuf wire forms of a DecodedExample, in all
// the ways protobuf accepts.
class WireWriter {
 public:
  explicit WireWriter(Gen& g) : g_(g) {}

  // `known`: (field, wire type) pairs the enclosing message understands,
  // which an unknown field must avoid.
  std::string Unknown(std::vector<std::pair<uint32_t, uint32_t>> known, int depth = 0) {
    static const uint32_t kFields[] = {1, 2, 3, 4, 15, 16, 2047, 536870911};
    for (;;) {
      const uint32_t field = kFields[g_.U(std::size(kFields))];
      uint32_t wt = static_cast<uint32_t>(g_.U(5));
      if (wt == 4) wt = 5;
      if (depth >= 3 && wt == 3) continue;
      bool clash = false;
      for (auto [f, w] : known) clash |= (f == field && w == wt);
      if (clash) continue;
      std::string s;
      PutTag(&s, field, wt);
      switch (wt) {
        case 0: PutVarint64(&s, g_.rng()() >> g_.U(64)); break;
        case 1: s.append(8, static_cast<char>(g_.U(256))); break;
        case 2:
          PutVarint64(&s, 3);
          s.append("xyz");
          break;
        case 3:
          for (uint64_t i = 0, n = g_.U(3); i < n; ++i) s += Unknown({}, depth + 1);
          PutTag(&s, field, 4);
          break;
        case 5: s.append(4, static_cast<char>(g_.U(256))); break;
      }
      return s;
    }
  }

  // Maybe some unknown fields.
  std::string Noise(const std::vector<std::pair<uint32_t, uint32_t>>& known) {
    std::string s;
    while (g_.P(0.15)) s += Unknown(known);
    return s;
  }

  // A varint, sometimes padded (non-canonical but accepted by protobuf).
  void Varint(std::string* s, uint64_t v) {
    char buf[kMaxVarint64Length];
    char* end = EncodeVarint64(buf, v);
    size_t len = end - buf;
    if (len < kMaxVarint64Length && g_.P(0.1)) {
      buf[len - 1] = static_cast<char>(buf[len - 1] | 0x80);
      buf[len++] = 0;
    }
    s->append(buf, len);
  }

  std::string Int64List(const std::vector<int64_t>& v) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 0}, {1, 2}};
    std::string s = Noise(kKnown);
    size_t i = 0;
    while (i < v.size() || g_.P(0.1)) {
      const size_t run = std::min(v.size() - i, static_cast<size_t>(g_.U(5)));
      if (g_.P(0.5)) {  // packed
        std::string packed;
        for (size_t k = 0; k < run; ++k) Varint(&packed, static_cast<uint64_t>(v[i + k]));
        PutLengthDelimited(&s, 1, packed);
      } else {
        for (size_t k = 0; k < run; ++k) {
          PutTag(&s, 1, 0);
          Varint(&s, static_cast<uint64_t>(v[i + k]));
        }
      }
      i += run;
      s += Noise(kKnown);
      if (i == v.size() && run == 0) break;
    }
    return s;
  }

  std::string FloatList(const std::vector<float>& v) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 5}, {1, 2}};
    std::string s = Noise(kKnown);
    size_t i = 0;
    while (i < v.size()) {
      const size_t run = std::min(v.size() - i, static_cast<size_t>(1 + g_.U(4)));
      std::string bytes;
      for (size_t k = 0; k < run; ++k) {
        char b[4];
        EncodeFixed32(b, testing::FloatBits(v[i + k]));
        bytes.append(b, 4);
      }
      if (g_.P(0.5)) {
        PutLengthDelimited(&s, 1, bytes);
      } else {
        for (size_t k = 0; k < run; ++k) {
          PutTag(&s, 1, 5);
          s.append(bytes, 4 * k, 4);
        }
      }
      i += run;
      s += Noise(kKnown);
    }
    return s;
  }

  std::string BytesList(const std::vector<std::string>& v) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 2}};
    std::string s = Noise(kKnown);
    for (const std::string& x : v) {
      PutLengthDelimited(&s, 1, x);
      s += Noise(kKnown);
    }
    return s;
  }

  // A Feature whose parse gives `v`: possibly a different kind first (the
  // oneof keeps the last), possibly the list split over several fields
  // (merged).
  std::string Feature(const FeatureValues& v) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 2}, {2, 2}, {3, 2}};
    std::string s = Noise(kKnown);
    if (std::holds_alternative<std::monostate>(v)) return s;
    if (g_.P(0.2)) {
      const uint32_t own = v.index() == 1 ? 3 : v.index() == 2 ? 2 : 1;
      const uint32_t other = static_cast<uint32_t>(1 + (own + g_.U(2)) % 3);  // != own
      PutLengthDelimited(&s, other,
                         other == 3   ? Int64List({1, 2})
                         : other == 2 ? FloatList({1.5f})
                                      : BytesList({"decoy"}));
    }
    const uint32_t field = v.index() == 1 ? 3 : v.index() == 2 ? 2 : 1;
    std::visit(
        [&](const auto& vec) {
          using T = std::decay_t<decltype(vec)>;
          if constexpr (!std::is_same_v<T, std::monostate>) {
            const size_t parts = vec.empty() ? 1 : 1 + g_.U(std::min<size_t>(vec.size(), 3));
            size_t begin = 0;
            for (size_t p = 0; p < parts; ++p) {
              const size_t end = p + 1 == parts ? vec.size() : begin + g_.U(vec.size() - begin + 1);
              T part(vec.begin() + begin, vec.begin() + end);
              std::string list;
              if constexpr (std::is_same_v<T, std::vector<int64_t>>) list = Int64List(part);
              if constexpr (std::is_same_v<T, std::vector<float>>) list = FloatList(part);
              if constexpr (std::is_same_v<T, std::vector<std::string>>) list = BytesList(part);
              PutLengthDelimited(&s, field, list);
              s += Noise(kKnown);
              begin = end;
            }
          }
        },
        v);
    return s;
  }

  std::string Entry(const std::string& name, const FeatureValues& v) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 2}, {2, 2}};
    std::string key;
    const bool decoy = g_.P(0.1);
    if (decoy) PutLengthDelimited(&key, 1, g_.Name());  // replaced by the real key
    if (decoy || !name.empty() || g_.P(0.5)) PutLengthDelimited(&key, 1, name);
    std::string value;
    if (!std::holds_alternative<std::monostate>(v) || g_.P(0.5)) {
      PutLengthDelimited(&value, 2, Feature(v));
    }
    std::string s = Noise(kKnown);
    s += g_.P(0.7) ? key + Noise(kKnown) + value : value + Noise(kKnown) + key;
    return s + Noise(kKnown);
  }

  std::string Example(const DecodedExample& example) {
    static const std::vector<std::pair<uint32_t, uint32_t>> kKnown = {{1, 2}};
    std::vector<std::string> entries;
    for (const auto& [name, v] : example) {
      if (g_.P(0.1)) {  // an earlier entry for the same name: the last one wins
        entries.push_back(Entry(name, std::vector<int64_t>{-1}));
      }
      entries.push_back(Entry(name, v));
    }
    // Keep the relative order of a name's entries; otherwise shuffle by
    // rotating chunks of the list.
    std::string s = Noise(kKnown);
    const size_t fields = 1 + g_.U(3);  // Features messages, merged
    size_t begin = 0;
    for (size_t f = 0; f < fields; ++f) {
      const size_t end = f + 1 == fields ? entries.size() : begin + g_.U(entries.size() - begin + 1);
      std::string features = Noise(kKnown);
      for (size_t i = begin; i < end; ++i) {
        PutLengthDelimited(&features, 1, entries[i]);
        features += Noise(kKnown);
      }
      if (fields > 1 || !features.empty() || g_.P(0.5)) PutLengthDelimited(&s, 1, features);
      s += Noise(kKnown);
      begin = end;
    }
    return s;
  }

 private:
  Gen& g_;
};

DecodedExample RandomExample(Gen& g) {
  DecodedExample out;
  const size_t n = g.U(7);
  for (size_t i = 0; i < n; ++i) {
    FeatureValues& v = out[g.Name()];
    const size_t count = g.P(0.2) ? 0 : g.U(6);
    switch (g.U(7)) {
      case 0: v = std::monostate(); break;
      case 1:
      case 2: {
        std::vector<int64_t> x(count);
        for (auto& e : x) e = g.Int();
        v = x;
        break;
      }
      case 3:
      case 4: {
        std::vector<float> x(count);
        for (auto& e : x) e = g.Float();
        v = x;
        break;
      }
      default: {
        std::vector<std::string> x(count);
        for (auto& e : x) e = g.Bytes();
        v = x;
      }
    }
  }
  return out;
}

TEST(ExampleDecoderTest, DecodesEveryWireFormProtobufAccepts) {
  Gen g(99);
  WireWriter w(g);
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const DecodedExample intended = RandomExample(g);
    const std::string wire = w.Example(intended);
    tensorflow::Example parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire)) << iteration << ": " << Hex(wire);
    ASSERT_TRUE(SameExample(ProtoToDecoded(parsed), intended))
        << iteration << ": writer bug: " << DecodedExampleToJson(ProtoToDecoded(parsed)) << " vs "
        << DecodedExampleToJson(intended);
    absl::StatusOr<DecodedExample> ours = DecodeExample(wire);
    ASSERT_TRUE(ours.ok()) << iteration << ": " << ours.status() << "\n" << Hex(wire);
    ASSERT_TRUE(SameExample(*ours, intended))
        << iteration << ": " << DecodedExampleToJson(*ours) << " vs " << DecodedExampleToJson(intended) << "\n"
        << Hex(wire);
  }
}

TEST(ExampleDecoderTest, DecodesProtobufSerializedMessages) {
  tensorflow::Example e;
  auto& map = *e.mutable_features()->mutable_feature();
  map["ints"].mutable_int64_list()->add_value(std::numeric_limits<int64_t>::min());
  map["ints"].mutable_int64_list()->add_value(3);
  map["floats"].mutable_float_list()->add_value(-0.0f);
  map["bytes"].mutable_bytes_list()->add_value(std::string("\0\xff", 2));
  map["empty"];
  map[""].mutable_int64_list();
  absl::StatusOr<DecodedExample> d = DecodeExample(e.SerializeAsString());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(SameExample(*d, ProtoToDecoded(e)));
  EXPECT_EQ(d->size(), 5u);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(d->at("empty")));
  EXPECT_EQ(std::get<std::vector<int64_t>>(d->at("")).size(), 0u);
  EXPECT_EQ(std::get<std::vector<int64_t>>(d->at("ints")),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 3}));
  // The empty message and an empty Features.
  EXPECT_EQ(DecodeExample("").value().size(), 0u);
  EXPECT_EQ(DecodeExample(FromHex("0a 00")).value().size(), 0u);
}

TEST(ExampleDecoderTest, UnpackedNumbersUnknownFieldsDuplicatesAndOneofSwitches) {
  // Entry 1: "a" -> int64_list { 08 05 (unpacked 5), 0a 01 06 (packed [6]) }.
  std::string feature1;
  PutLengthDelimited(&feature1, 3, FromHex("08 05 0a 01 06"));
  std::string entry1 = FromHex("0a 01 61");
  PutLengthDelimited(&entry1, 2, feature1);
  // Entry 2, same name (the last entry wins): an unknown group 5 around an
  // unknown varint, then a Feature switching its oneof from int64_list to
  // float_list (unpacked 0d <1.0f>).
  std::string feature2;
  PutLengthDelimited(&feature2, 3, FromHex("08 07"));
  PutLengthDelimited(&feature2, 2, FromHex("0d 00 00 80 3f"));
  std::string entry2 = FromHex("0a 01 61 2b 08 01 2c");
  PutLengthDelimited(&entry2, 2, feature2);
  std::string features;
  PutLengthDelimited(&features, 1, entry1);
  PutLengthDelimited(&features, 1, entry2);
  features += FromHex("19 01 02 03 04 05 06 07 08");  // unknown fixed64 field 3
  std::string example = FromHex("10 96 01");          // unknown varint field 2
  PutLengthDelimited(&example, 1, features);
  // Example.features with the wrong wire type is an unknown field too.
  example += FromHex("08 01");
  tensorflow::Example parsed;
  ASSERT_TRUE(parsed.ParseFromString(example));
  absl::StatusOr<DecodedExample> d = DecodeExample(example);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(SameExample(*d, ProtoToDecoded(parsed)));
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ(std::get<std::vector<float>>(d->at("a")), std::vector<float>{1.0f});

  // Merge: the same list kind twice appends.
  std::string merged;
  PutLengthDelimited(&merged, 1, FromHex("0a 01 62 12 04 1a 02 08 05 12 04 1a 02 08 06"));
  std::string merged_example;
  PutLengthDelimited(&merged_example, 1, merged);
  d = DecodeExample(merged_example);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(std::get<std::vector<int64_t>>(d->at("b")), (std::vector<int64_t>{5, 6}));
  ASSERT_TRUE(parsed.ParseFromString(merged_example));
  EXPECT_EQ(parsed.features().feature().at("b").int64_list().value_size(), 2);
}

struct BadCase {
  const char* hex;
  const char* error;
};

TEST(ExampleDecoderTest, MalformedInputsNameOffsetAndProblem) {
  const BadCase cases[] = {
      {"0a",
       "at byte offset 1: truncated varint (length of Example.features): input ends at byte "
       "offset 1"},
      {"0a 05 0a 01",
       "at byte offset 1: length 5 of Example.features runs past the end of its "
       "enclosing message (only 2 bytes left, up to byte offset 4)"},
      {"0f", "at byte offset 0: invalid wire type 7 for field 1 in Example"},
      {"00", "at byte offset 0: field number 0 in Example (tag 0x0)"},
      {"80 80 80 80 80 01", "at byte offset 0: tag longer than 5 bytes in Example"},
      {"80 80 80 80 7f 00", "at byte offset 0: tag overflows 32 bits in Example"},
      {"0c", "at byte offset 0: end-group tag of field 1 outside any group in Example"},
      {"0b", "at byte offset 0: group 1 in Example has no end-group tag before byte offset 1"},
      {"0b 14", "at byte offset 1: end-group tag of field 2 closes group 1"},
      {"10 ff ff ff ff ff ff ff ff ff 7f", "at byte offset 1: varint overflows 64 bits (unknown field 2 of Example)"},
      {"10 ff ff ff ff ff ff ff ff ff ff 01",
       "at byte offset 1: varint overflows 64 bits (unknown field 2 of Example)"},
      {"11 01 02",
       "at byte offset 1: truncated 8-byte value of unknown field 2 of Example: only 2 "
       "bytes left"},
      // features { feature { key "f" value { float_list { packed, 3 bytes } } } }
      {"0a 0e 0a 0c 0a 01 66 12 07 12 05 0a 03 00 00 00",
       "at byte offset 11: packed FloatList values are 3 bytes, not a multiple of 4"},
      // ... float_list { 0d + 2 bytes }
      {"0a 0b 0a 09 0a 01 66 12 04 12 02 0d 00", "at byte offset 12: truncated FloatList value: only 1 bytes left"},
      // ... int64_list { packed: 1 byte, an unterminated varint }
      {"0a 0c 0a 0a 0a 01 66 12 05 1a 03 0a 01 80",
       "at byte offset 13: truncated varint (packed Int64List value): input ends at byte offset "
       "14"},
      // A map entry whose key is not UTF-8.
      {"0a 07 0a 05 0a 03 61 ff 62", "at byte offset 4: feature name is not valid UTF-8"},
      // An entry running past its Features.
      {"0a 03 0a 05 00 00 00",
       "at byte offset 3: length 5 of a Features.feature map entry runs past "
       "the end of its enclosing message (only 1 bytes left, up to byte "
       "offset 5)"},
  };
  google::protobuf::LogSilencer silence;  // protobuf logs the UTF-8 failure
  for (const BadCase& c : cases) {
    const std::string input = FromHex(c.hex);
    absl::StatusOr<DecodedExample> d = DecodeExample(input);
    EXPECT_EQ(d.status(), absl::DataLossError(std::string("malformed tf.train.Example ") + c.error)) << c.hex;
    tensorflow::Example parsed;
    const bool protobuf_ok = parsed.ParseFromString(input);
    const bool stricter = std::string_view(c.error).find("overflows") != std::string_view::npos &&
                          std::string_view(c.hex) != "10 ff ff ff ff ff ff ff ff ff ff 01";
    EXPECT_EQ(protobuf_ok, stricter) << c.hex;
  }
}

TEST(ExampleDecoderTest, GroupNestingIsLimited) {
  const auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += FromHex("13");  // start group 2
    for (int i = 0; i < depth; ++i) s += FromHex("14");  // end group 2
    return s;
  };
  tensorflow::Example parsed;
  EXPECT_TRUE(DecodeExample(nested(50)).ok());
  EXPECT_TRUE(parsed.ParseFromString(nested(50)));
  EXPECT_EQ(DecodeExample(nested(150)).status(),
            absl::DataLossError("malformed tf.train.Example at byte offset 99: nesting deeper than "
                                "100 (group 2 in a group)"));
  EXPECT_FALSE(parsed.ParseFromString(nested(150)));
}

// Every prefix of valid messages: the same verdict as protobuf, and the same
// values when both accept.
TEST(ExampleDecoderTest, TruncationsAgreeWithProtobuf) {
  google::protobuf::LogSilencer silence;  // a cut inside a UTF-8 name makes protobuf log
  Gen g(5);
  WireWriter w(g);
  int accepted = 0, rejected = 0;
  for (int sample = 0; sample < 40; ++sample) {
    const std::string wire = w.Example(RandomExample(g));
    for (size_t cut = 0; cut <= wire.size(); ++cut) {
      const std::string prefix = wire.substr(0, cut);
      tensorflow::Example parsed;
      const bool protobuf_ok = parsed.ParseFromString(prefix);
      absl::StatusOr<DecodedExample> ours = DecodeExample(prefix);
      ASSERT_EQ(ours.ok(), protobuf_ok) << cut << ": " << ours.status() << "\n" << Hex(wire);
      if (ours.ok()) {
        ++accepted;
        ASSERT_TRUE(SameExample(*ours, ProtoToDecoded(parsed)));
      } else {
        ++rejected;
        ASSERT_EQ(ours.status().code(), absl::StatusCode::kDataLoss);
        ASSERT_EQ(std::string(ours.status().message()).rfind("malformed tf.train.Example at byte offset ", 0), 0u);
      }
    }
  }
  EXPECT_GT(accepted, 40);
  EXPECT_GT(rejected, 1000);
}

// Random byte corruptions: we reject whatever protobuf rejects, accept with
// the same values what it accepts, except for the documented stricter cases.
TEST(ExampleDecoderTest, CorruptionsAgreeWithProtobuf) {
  google::protobuf::LogSilencer silence;
  Gen g(11);
  WireWriter w(g);
  int both_ok = 0, both_failed = 0, stricter = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string wire = w.Example(RandomExample(g));
    if (wire.empty()) continue;
    for (uint64_t i = 0, n = 1 + g.U(3); i < n; ++i) {
      wire[g.U(wire.size())] = static_cast<char>(g.P(0.5) ? g.U(256) : wire[g.U(wire.size())] ^ (1 << g.U(8)));
    }
    tensorflow::Example parsed;
    const bool protobuf_ok = parsed.ParseFromString(wire);
    absl::StatusOr<DecodedExample> ours = DecodeExample(wire);
    if (ours.ok()) {
      ASSERT_TRUE(protobuf_ok) << Hex(wire);
      ASSERT_TRUE(SameExample(*ours, ProtoToDecoded(parsed))) << Hex(wire);
      ++both_ok;
    } else if (!protobuf_ok) {
      ++both_failed;
    } else {
      const std::string message(ours.status().message());
      ASSERT_TRUE(message.find("overflows") != std::string::npos) << message << "\n" << Hex(wire);
      ++stricter;
    }
  }
  EXPECT_GT(both_ok, 1000);
  EXPECT_GT(both_failed, 1000);
  RecordProperty("stricter_than_protobuf", stricter);
}

}  // namespace
}  // namespace proberows
