#include "source/presets.h"

#include <fmt/format.h>

namespace proberows {

std::vector<std::pair<std::string, std::string>> PresetList() { return {}; }

absl::StatusOr<PresetPlan> PlanPreset(const std::string& name, InputFormat, bool) {
  return absl::NotFoundError(fmt::format("--preset: unknown preset '{}'", name));
}

}  // namespace proberows
