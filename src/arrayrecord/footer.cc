#include "arrayrecord/footer.h"

#include "util/varint.h"

namespace proberows::arrayrecord {
namespace {

constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

void PutVarintField(std::string* dst, uint32_t field, uint64_t value) {
  PutVarint64(dst, (uint64_t{field} << 3) | kVarint);
  PutVarint64(dst, value);
}

void PutBytesField(std::string* dst, uint32_t field, std::string_view value) {
  PutVarint64(dst, (uint64_t{field} << 3) | kLengthDelimited);
  PutVarint64(dst, value.size());
  dst->append(value);
}

// One field of a message on the wire.
struct Field {
  uint64_t number = 0;
  int wire_type = 0;
  uint64_t varint = 0;     // kVarint
  std::string_view bytes;  // kLengthDelimited
};

// Reads the next field from `*data`; false on malformed input.
bool NextField(std::string_view* data, Field* field) {
  uint64_t tag = 0;
  if (!GetVarint64(data, &tag)) return false;
  field->number = tag >> 3;
  field->wire_type = static_cast<int>(tag & 7);
  if (field->number == 0) return false;
  switch (field->wire_type) {
    case kVarint: return GetVarint64(data, &field->varint);
    case kFixed64:
      if (data->size() < 8) return false;
      data->remove_prefix(8);
      return true;
    case kLengthDelimited: {
      uint64_t length = 0;
      if (!GetVarint64(data, &length) || length > data->size()) return false;
      field->bytes = data->substr(0, length);
      data->remove_prefix(length);
      return true;
    }
    case kFixed32:
      if (data->size() < 4) return false;
      data->remove_prefix(4);
      return true;
    default: return false;  // groups (3, 4) and invalid wire types
  }
}

// Parses a message whose known fields (1..max_known) are varint or bytes
// fields; the setters return false if a known field has the wrong wire type.
template <typename SetVarint, typename SetBytes>
bool ParseMessage(std::string_view data, uint64_t max_known, SetVarint set_varint, SetBytes set_bytes) {
  Field field;
  while (!data.empty()) {
    if (!NextField(&data, &field)) return false;
    if (field.wire_type == kVarint) {
      if (!set_varint(field.number, field.varint)) return false;
    } else if (field.wire_type == kLengthDelimited) {
      if (!set_bytes(field.number, field.bytes)) return false;
    } else if (field.number <= max_known) {
      return false;  // every known field is a varint or bytes field
    }
  }
  return true;
}

}  // namespace

void SerializeFooterEntry(const FooterEntry& entry, std::string* dst) {
  if (entry.chunk_offset) PutVarintField(dst, 1, *entry.chunk_offset);
  if (entry.decoded_data_size) PutVarintField(dst, 2, *entry.decoded_data_size);
  if (entry.num_records) PutVarintField(dst, 3, *entry.num_records);
}

bool ParseFooterEntry(std::string_view data, FooterEntry* entry) {
  *entry = FooterEntry();
  return ParseMessage(
      data, 3,
      [&](uint64_t number, uint64_t value) {
        if (number == 1) entry->chunk_offset = value;
        if (number == 2) entry->decoded_data_size = value;
        if (number == 3) entry->num_records = value;
        return true;
      },
      [](uint64_t number, std::string_view) { return number > 3; });
}

void SerializeFooterMetadata(const FooterMetadata& metadata, std::string* dst) {
  std::string inner;
  if (metadata.version) PutVarintField(&inner, 1, *metadata.version);
  if (metadata.num_chunks) PutVarintField(&inner, 2, *metadata.num_chunks);
  if (metadata.num_records) PutVarintField(&inner, 3, *metadata.num_records);
  if (metadata.writer_options) PutBytesField(&inner, 4, *metadata.writer_options);
  PutBytesField(dst, 1, inner);
}

bool ParseFooterMetadata(std::string_view data, FooterMetadata* metadata) {
  *metadata = FooterMetadata();
  return ParseMessage(
      data, 1, [](uint64_t number, uint64_t) { return number != 1; },
      [&](uint64_t number, std::string_view bytes) {
        if (number != 1) return true;
        metadata->has_array_record_metadata = true;  // sub-messages merge
        return ParseMessage(
            bytes, 4,
            [&](uint64_t inner, uint64_t value) {
              if (inner == 1) metadata->version = static_cast<uint32_t>(value);
              if (inner == 2) metadata->num_chunks = value;
              if (inner == 3) metadata->num_records = value;
              return inner != 4;
            },
            [&](uint64_t inner, std::string_view value) {
              if (inner == 4) metadata->writer_options = std::string(value);
              return inner > 3;
            });
      });
}

void SerializePostscript(const Postscript& postscript, std::string* dst) {
  if (postscript.footer_offset) PutVarintField(dst, 1, *postscript.footer_offset);
  if (postscript.magic) PutVarintField(dst, 2, *postscript.magic);
}

bool ParsePostscript(std::string_view data, Postscript* postscript) {
  *postscript = Postscript();
  return ParseMessage(
      data, 2,
      [&](uint64_t number, uint64_t value) {
        if (number == 1) postscript->footer_offset = value;
        if (number == 2) postscript->magic = value;
        return true;
      },
      [](uint64_t number, std::string_view) { return number > 2; });
}

}  // namespace proberows::arrayrecord
