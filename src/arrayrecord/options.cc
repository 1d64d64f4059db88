// ArrayRecordWriterOptions::FromString / ToString, following array_record's
// ArrayRecordWriterBase::Options and riegeli's CompressorOptions and
// OptionsParser (grammar, validation order and error wording).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "proberows/array_record_options.h"

namespace proberows {
namespace {

constexpr int kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int kMinZstdLevel = -(1 << 17);
constexpr int kMaxZstdLevel = 22;
constexpr int kDefaultZstdLevel = 3;
constexpr int kMinBrotliLevel = 0;
constexpr int kMaxBrotliLevel = 11;
constexpr int kDefaultBrotliLevel = 6;
constexpr int kMinWindowLog = 10;
constexpr int kMaxZstdWindowLog = 31;
constexpr int kMaxBrotliWindowLog = 30;
constexpr int kArrayRecordDefaultZstdWindowLog = 20;

struct KeyValue {
  std::string_view key;
  std::string_view value;
};

std::vector<KeyValue> SplitOptions(std::string_view text) {
  std::vector<KeyValue> out;
  size_t begin = 0;
  for (;;) {
    size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    if (end != begin) {
      const std::string_view item = text.substr(begin, end - begin);
      const size_t colon = item.find(':');
      if (colon == std::string_view::npos) {
        out.push_back({item, {}});
      } else {
        out.push_back({item.substr(0, colon), item.substr(colon + 1)});
      }
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
  return out;
}

bool ParseInt(std::string_view value, int min, int max, int* out) {
  if (!value.empty() && value[0] == '+') value.remove_prefix(1);
  int v = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) return false;
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// riegeli's ValueParser::Bytes: a non-negative real with an optional suffix.
bool ParseBytes(std::string_view value, uint64_t min) {
  double scale = 1.0;
  if (!value.empty()) {
    const std::string_view suffixes = "BkKMGTPE";
    const size_t s = suffixes.find(value.back());
    if (s != std::string_view::npos) {
      static constexpr int kShift[] = {0, 10, 10, 20, 30, 40, 50, 60};
      scale = std::ldexp(1.0, kShift[s]);
      value.remove_suffix(1);
    }
  }
  if (value.empty()) return false;
  const std::string copy(value);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !(v >= 0.0)) return false;
  const double scaled = std::round(v * scale);
  return scaled >= static_cast<double>(min);
}

// One pass of riegeli's OptionsParser: options in declaration order, each
// with a function that returns "" (accepted) or the error message.
class OptionsPass {
 public:
  using Handler = std::function<std::string(std::string_view value)>;

  void Add(std::string key, Handler handler) { options_.push_back({std::move(key), std::move(handler), false}); }

  bool Seen(std::string_view key) const {
    for (const Option& option : options_) {
      if (option.key == key) return option.seen;
    }
    return false;
  }
  bool AnySeen() const {
    for (const Option& option : options_) {
      if (option.seen) return true;
    }
    return false;
  }

  // Returns "" or the first error.
  std::string Run(std::string_view text) {
    for (const KeyValue& kv : SplitOptions(text)) {
      Option* option = nullptr;
      for (Option& candidate : options_) {
        if (candidate.key == kv.key) option = &candidate;
      }
      if (option == nullptr) {
        std::string message = fmt::format("Unknown option {}, valid options: ", kv.key);
        for (size_t i = 0; i < options_.size(); ++i) {
          if (i > 0) message += ", ";
          message += options_[i].key;
        }
        return message;
      }
      if (option->seen) return fmt::format("Option {} is present more than once", kv.key);
      std::string error = option->handler(kv.value);
      if (!error.empty()) return error;
      option->seen = true;
    }
    return "";
  }

 private:
  struct Option {
    std::string key;
    Handler handler;
    bool seen;
  };
  std::vector<Option> options_;
};

std::string InvalidValue(std::string_view key, std::string_view value, std::string_view valid_values) {
  return fmt::format("Option {}: invalid value: {}, valid values: {}", key,
                     value.empty() ? std::string_view("(empty)") : value, valid_values);
}

std::string IntRange(int min, int max) { return fmt::format("integers {}..{}", min, max); }

}  // namespace

absl::StatusOr<ArrayRecordWriterOptions> ArrayRecordWriterOptions::FromString(std::string_view text) {
  ArrayRecordWriterOptions options;
  auto fail = [&](const std::string& message) {
    return absl::InvalidArgumentError(fmt::format("invalid ArrayRecord writer options \"{}\": {}", text, message));
  };

  // Pass 1: array_record's options; compressor options are collected verbatim.
  std::string compressor_text;
  bool transpose = false;
  OptionsPass pass;
  auto copy_to_compressor = [&](std::string_view key) {
    return [&compressor_text, key = std::string(key)](std::string_view value) {
      if (!compressor_text.empty()) compressor_text += ',';
      compressor_text += key;
      if (!value.empty()) {
        compressor_text += ':';
        compressor_text += value;
      }
      return std::string();
    };
  };
  pass.Add("default", [&](std::string_view) {
    return pass.AnySeen() ? std::string("Option default must be first") : std::string();
  });
  pass.Add("group_size", [&](std::string_view value) {
    return ParseInt(value, 1, kMaxInt32, &options.group_size)
               ? std::string()
               : InvalidValue("group_size", value, IntRange(1, kMaxInt32));
  });
  pass.Add("max_parallelism", [&](std::string_view value) {
    int n = 0;
    if (value == "auto") {
      options.max_parallelism = kMaxParallelismAuto;
    } else if (ParseInt(value, 1, kMaxInt32, &n)) {
      options.max_parallelism = n;
    } else {
      return InvalidValue("max_parallelism", value, "auto, " + IntRange(1, kMaxInt32));
    }
    return std::string();
  });
  pass.Add("saturation_delay_ms", [&](std::string_view value) {
    int unused = 0;
    return ParseInt(value, 1, kMaxInt32, &unused) ? std::string()
                                                  : InvalidValue("saturation_delay_ms", value, IntRange(1, kMaxInt32));
  });
  pass.Add("transpose", [&](std::string_view value) {
    if (value.empty() || value == "true") {
      transpose = true;
    } else if (value != "false") {
      return InvalidValue("transpose", value, "(empty), true, false");
    }
    return std::string();
  });
  pass.Add("transpose_bucket_size", [&](std::string_view value) {
    if (value == "auto" || ParseBytes(value, 1)) return std::string();
    return InvalidValue("transpose_bucket_size", value,
                        "auto, integers expressed as reals with optional suffix [BkKMGTPE], "
                        "1..18446744073709551615");
  });
  for (const char* key : {"uncompressed", "brotli", "zstd", "snappy", "window_log"}) {
    pass.Add(key, copy_to_compressor(key));
  }
  pass.Add("pad_to_block_boundary", [&](std::string_view value) {
    if (value.empty() || value == "true") {
      options.pad_to_block_boundary = true;
    } else if (value == "false") {
      options.pad_to_block_boundary = false;
    } else {
      return InvalidValue("pad_to_block_boundary", value, "(empty), true, false");
    }
    return std::string();
  });
  if (std::string error = pass.Run(text); !error.empty()) return fail(error);
  if (transpose) {
    return fail("transposed chunks are not supported (use transpose:false or omit the option)");
  }
  if (text == "default" ||
      (compressor_text.find("uncompressed") == std::string::npos &&
       compressor_text.find("brotli") == std::string::npos && compressor_text.find("snappy") == std::string::npos &&
       compressor_text.find("zstd") == std::string::npos)) {
    compressor_text += ",zstd:3";
  }

  // Pass 2a (riegeli CompressorOptions): the compression type alone.
  Compression type = Compression::kZstd;
  {
    OptionsPass types;
    struct TypeOption {
      const char* key;
      Compression type;
    };
    static constexpr TypeOption kTypes[] = {{"uncompressed", Compression::kNone},
                                            {"brotli", Compression::kBrotli},
                                            {"zstd", Compression::kZstd},
                                            {"snappy", Compression::kSnappy}};
    for (const TypeOption& option : kTypes) {
      types.Add(option.key, [&, option](std::string_view) {
        for (const TypeOption& other : kTypes) {
          if (other.type != option.type && types.Seen(other.key)) {
            return fmt::format("Option {} conflicts with option {}", option.key, other.key);
          }
        }
        type = option.type;
        return std::string();
      });
    }
    types.Add("window_log", [](std::string_view) { return std::string(); });
    if (std::string error = types.Run(compressor_text); !error.empty()) return fail(error);
  }
  options.compression = type;

  // Pass 2b: levels and window_log.
  std::optional<int> window_log;
  {
    OptionsPass values;
    auto conflicts = [&values](std::string_view key, std::string_view other) {
      return values.Seen(other) ? fmt::format("Option {} conflicts with option {}", key, other) : std::string();
    };
    values.Add("uncompressed", [&](std::string_view value) {
      if (std::string error = conflicts("uncompressed", "window_log"); !error.empty()) return error;
      if (!value.empty()) return InvalidValue("uncompressed", value, "(empty)");
      options.level = 0;
      return std::string();
    });
    values.Add("brotli", [&](std::string_view value) {
      if (value.empty()) {
        options.level = kDefaultBrotliLevel;
      } else if (!ParseInt(value, kMinBrotliLevel, kMaxBrotliLevel, &options.level)) {
        return InvalidValue("brotli", value, "(empty), " + IntRange(kMinBrotliLevel, kMaxBrotliLevel));
      }
      return std::string();
    });
    values.Add("zstd", [&](std::string_view value) {
      if (value.empty()) {
        options.level = kDefaultZstdLevel;
      } else if (!ParseInt(value, kMinZstdLevel, kMaxZstdLevel, &options.level)) {
        return InvalidValue("zstd", value, "(empty), " + IntRange(kMinZstdLevel, kMaxZstdLevel));
      }
      return std::string();
    });
    values.Add("snappy", [&](std::string_view value) {
      if (std::string error = conflicts("snappy", "window_log"); !error.empty()) return error;
      if (!value.empty()) return InvalidValue("snappy", value, "(empty)");
      options.level = 0;
      return std::string();
    });
    values.Add("window_log", [&](std::string_view value) {
      switch (type) {
        case Compression::kNone: return conflicts("window_log", "uncompressed");
        case Compression::kSnappy: return conflicts("window_log", "snappy");
        case Compression::kZstd:
        case Compression::kBrotli: break;
      }
      const int max = type == Compression::kZstd ? kMaxZstdWindowLog : kMaxBrotliWindowLog;
      int n = 0;
      if (value == "auto") {
        window_log.reset();
      } else if (ParseInt(value, kMinWindowLog, max, &n)) {
        window_log = n;
      } else {
        return InvalidValue("window_log", value, "auto, " + IntRange(kMinWindowLog, max));
      }
      return std::string();
    });
    if (std::string error = values.Run(compressor_text); !error.empty()) return fail(error);
  }
  if (type == Compression::kZstd && !window_log.has_value()) window_log = kArrayRecordDefaultZstdWindowLog;
  options.window_log = window_log;
  return options;
}

std::string ArrayRecordWriterOptions::ToString() const {
  std::string out = fmt::format("group_size:{},transpose:false,pad_to_block_boundary:{}", group_size,
                                pad_to_block_boundary ? "true" : "false");
  switch (compression) {
    case Compression::kNone: out += ",uncompressed"; break;
    case Compression::kBrotli: out += fmt::format(",brotli:{}", level); break;
    case Compression::kZstd: out += fmt::format(",zstd:{}", level); break;
    case Compression::kSnappy: out += ",snappy"; break;
  }
  if (window_log.has_value() && (compression == Compression::kZstd || compression == Compression::kBrotli)) {
    out += fmt::format(",window_log:{}", *window_log);
  }
  if (max_parallelism.has_value()) {
    if (*max_parallelism == kMaxParallelismAuto) {
      out += ",max_parallelism:auto";
    } else {
      out += fmt::format(",max_parallelism:{}", *max_parallelism);
    }
  }
  return out;
}

}  // namespace proberows
