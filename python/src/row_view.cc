#include "row_view.h"

#include <bit>
#include <cstring>
#include <variant>

#include "example/utf8.h"

namespace proberows::python {
namespace {

static_assert(std::endian::native == std::endian::little, "packed floats are copied as little-endian bytes");

// A cursor over [p, end). Every read checks the bounds; any failure makes
// the whole parse decline.
struct Cursor {
  const char* p;
  const char* end;

  bool done() const { return p == end; }

  // A varint of at most 10 bytes / 64 bits (DecodeExample rejects more).
  bool Varint(uint64_t* value) {
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (p == end) return false;
      const uint64_t byte = static_cast<unsigned char>(*p++);
      if (i == 9 && byte > 1) return false;
      result |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  // A length-delimited field with the given tag byte: its payload.
  bool Field(unsigned char tag, std::string_view* payload) {
    if (p == end || static_cast<unsigned char>(*p) != tag) return false;
    ++p;
    uint64_t n = 0;
    if (!Varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *payload = std::string_view(p, static_cast<size_t>(n));
    p += n;
    return true;
  }
};

Cursor Over(std::string_view s) { return Cursor{s.data(), s.data() + s.size()}; }

// Tags of length-delimited fields (field << 3 | 2).
constexpr unsigned char kField1 = 0x0a;
constexpr unsigned char kField2 = 0x12;
constexpr unsigned char kField3 = 0x1a;

bool ParseInts(std::string_view list, RowView* view, RowView::Feature* f) {
  f->kind = RowView::Kind::kInt64;
  f->begin = view->ints.size();
  Cursor c = Over(list);
  if (c.done()) return true;  // an empty list
  std::string_view packed;
  if (!c.Field(kField1, &packed) || !c.done()) return false;
  Cursor values = Over(packed);
  while (!values.done()) {
    uint64_t v = 0;
    if (!values.Varint(&v)) return false;
    view->ints.push_back(static_cast<int64_t>(v));
  }
  f->count = view->ints.size() - f->begin;
  return true;
}

bool ParseFloats(std::string_view list, RowView* view, RowView::Feature* f) {
  f->kind = RowView::Kind::kFloat;
  f->begin = view->floats.size();
  Cursor c = Over(list);
  if (c.done()) return true;
  std::string_view packed;
  if (!c.Field(kField1, &packed) || !c.done() || packed.size() % 4 != 0) return false;
  f->count = packed.size() / 4;
  view->floats.resize(f->begin + f->count);
  if (f->count) std::memcpy(view->floats.data() + f->begin, packed.data(), packed.size());
  return true;
}

bool ParseBytes(std::string_view list, RowView* view, RowView::Feature* f) {
  f->kind = RowView::Kind::kBytes;
  f->begin = view->strings.size();
  Cursor c = Over(list);
  while (!c.done()) {
    std::string_view value;
    if (!c.Field(kField1, &value)) return false;
    view->strings.push_back(value);
  }
  f->count = view->strings.size() - f->begin;
  return true;
}

}  // namespace

void RowView::Clear() {
  features.clear();
  ints.clear();
  floats.clear();
  strings.clear();
  decoded.clear();
}

bool ParseCanonicalExample(RowView* view) {
  view->features.clear();
  view->ints.clear();
  view->floats.clear();
  view->strings.clear();
  Cursor example = Over(view->record);
  if (example.done()) return true;  // no features
  std::string_view features;
  if (!example.Field(kField1, &features) || !example.done()) return false;
  Cursor entries = Over(features);
  while (!entries.done()) {
    std::string_view entry, name, feature;
    if (!entries.Field(kField1, &entry)) return false;
    Cursor e = Over(entry);
    if (!e.Field(kField1, &name) || !e.Field(kField2, &feature) || !e.done()) return false;
    if (!view->features.empty() && !(view->features.back().name < name)) return false;
    if (!IsValidUtf8(name)) return false;
    RowView::Feature f;
    f.name = name;
    Cursor fc = Over(feature);
    if (fc.done()) return false;  // no list set: the general path gives None
    const unsigned char tag = static_cast<unsigned char>(*fc.p);
    std::string_view list;
    if (!fc.Field(tag, &list) || !fc.done()) return false;
    bool ok = false;
    if (tag == kField1) {
      ok = ParseBytes(list, view, &f);
    } else if (tag == kField2) {
      ok = ParseFloats(list, view, &f);
    } else if (tag == kField3) {
      ok = ParseInts(list, view, &f);
    }
    if (!ok) return false;
    view->features.push_back(f);
  }
  return true;
}

void RowViewFromDecoded(RowView* view) {
  view->features.clear();
  view->ints.clear();
  view->floats.clear();
  view->strings.clear();
  for (const auto& [name, values] : view->decoded) {
    RowView::Feature f;
    f.name = name;
    if (const auto* ints = std::get_if<std::vector<int64_t>>(&values)) {
      f.kind = RowView::Kind::kInt64;
      f.begin = view->ints.size();
      f.count = ints->size();
      view->ints.insert(view->ints.end(), ints->begin(), ints->end());
    } else if (const auto* floats = std::get_if<std::vector<float>>(&values)) {
      f.kind = RowView::Kind::kFloat;
      f.begin = view->floats.size();
      f.count = floats->size();
      view->floats.insert(view->floats.end(), floats->begin(), floats->end());
    } else if (const auto* strings = std::get_if<std::vector<std::string>>(&values)) {
      f.kind = RowView::Kind::kBytes;
      f.begin = view->strings.size();
      f.count = strings->size();
      for (const std::string& s : *strings) view->strings.emplace_back(s);
    }
    view->features.push_back(f);
  }
}

}  // namespace proberows::python
