// RowView: one decoded tf.train.Example row in flat arrays (no map, no
// per-feature allocations), the form the Python module turns into NumPy
// arrays with one memcpy per feature.
//
// ParseCanonicalExample() reads the canonical form proberows writes (and
// protobuf's deterministic serialization of a map gives): one `features`
// field, map entries with key then value, names strictly increasing, each
// Feature holding exactly one list, numbers packed. Anything else -- legal
// protobuf or not -- it declines (returns false), and the caller decodes the
// row with DecodeExample (the strict general parser, which also produces
// the error message for malformed input) and RowViewFromDecoded(). Both
// paths give the same values for every input the fast one accepts
// (row_view_test.py checks this).
//
// Thread-compatible.
#ifndef PROBEROWS_PYTHON_ROW_VIEW_H_
#define PROBEROWS_PYTHON_ROW_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proberows/example.h"

namespace proberows::python {

struct RowView {
  enum class Kind : uint8_t { kInt64, kFloat, kBytes, kUnset };
  struct Feature {
    std::string_view name;
    Kind kind = Kind::kUnset;
    size_t begin = 0;  // first value in ints / floats / strings
    size_t count = 0;
  };
  std::vector<Feature> features;  // in name order
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string_view> strings;
  // What names and strings point into: the record, or the decoded example.
  std::string record;
  DecodedExample decoded;

  void Clear();
  const int64_t* Ints(const Feature& f) const { return ints.data() + f.begin; }
  const float* Floats(const Feature& f) const { return floats.data() + f.begin; }
  const std::string_view* Strings(const Feature& f) const { return strings.data() + f.begin; }
};

// Parses view->record (set by the caller) in the canonical form into
// `*view`. Returns false, leaving `*view` unspecified except for `record`,
// if the bytes are not in that form.
[[nodiscard]] bool ParseCanonicalExample(RowView* view);

// Fills `*view` from view->decoded (set by the caller, e.g. by DecodeExample).
void RowViewFromDecoded(RowView* view);

}  // namespace proberows::python

#endif  // PROBEROWS_PYTHON_ROW_VIEW_H_
