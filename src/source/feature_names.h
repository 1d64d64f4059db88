// Feature names TFDS can hold. A name is written into features.json and
// every row, and TFDS nests features by '/': a name with a space (or tab) at
// its start or end (real firmware-1 RIPE Atlas results have " lts" and
// " proto"), a control character, or an empty '/'-separated part cannot be
// told apart from another or read back by name. Such names are reported by
// `schema` and refused by `build`, with the rename to use; never written as
// they are.
#ifndef PROBEROWS_SOURCE_FEATURE_NAMES_H_
#define PROBEROWS_SOURCE_FEATURE_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "source/input_source.h"

namespace proberows {

bool IsValidFeatureName(std::string_view name);

// `name` made valid: spaces at either end dropped, control characters and
// empty '/'-parts replaced by '_' (" lts" -> "lts").
std::string ValidFeatureName(std::string_view name);

// One line per column of `schema` whose feature name TFDS cannot hold,
// saying why and the rename to use.
// `input` is what the rename reads: the first --input, or "" for --sql.
std::vector<std::string> FeatureNameProblems(const SourceSchema& schema, const std::string& input);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_FEATURE_NAMES_H_
