// Feature names TFDS can hold. TFDS reads a feature name as a TensorFlow
// name scope (and '/' nests it), so a name must match
// [A-Za-z0-9.][A-Za-z0-9_.\-/]* : JSON fields like " lts" (leading space,
// real RIPE Atlas firmware-1 results) or "rtt (ms)" cannot be features.
// They are reported by `schema` and refused by `build`, with the rename to
// use; never written as they are.
#ifndef PROBEROWS_SOURCE_FEATURE_NAMES_H_
#define PROBEROWS_SOURCE_FEATURE_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "source/input_source.h"

namespace proberows {

bool IsValidFeatureName(std::string_view name);

// `name` made valid: spaces at either end dropped, every other character
// TFDS cannot hold replaced by '_' (" lts" -> "lts", "rtt (ms)" -> "rtt__ms_").
std::string ValidFeatureName(std::string_view name);

// One line per column of `schema` whose feature name TFDS cannot hold,
// saying why and the rename to use.
// `input` is what the rename reads: the first --input, or "" for --sql.
std::vector<std::string> FeatureNameProblems(const SourceSchema& schema, const std::string& input);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_FEATURE_NAMES_H_
