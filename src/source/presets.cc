#include "source/presets.h"

#include <fmt/format.h>

#include "source/duckdb_handle.h"

namespace proberows {

namespace {

// SQL building blocks over raw RIPE Atlas fields. Firmware differs in how it
// writes numbers (12.5 or "12.5"), so numeric fields are read as JSON and
// converted here: a value that is not a number is an error naming the
// preset, the field, the value and the probe, never a silent NULL.
class Sql {
 public:
  Sql(std::string preset, bool json) : preset_(std::move(preset)), json_(json) {}

  // A JSON (or, for typed input, numeric) value as DOUBLE; NULL for a
  // missing value or JSON null.
  std::string Num(const std::string& v, const std::string& field) const {
    if (!json_) return fmt::format("CAST({} AS DOUBLE)", v);
    return fmt::format("CASE WHEN {0} IS NULL OR json_type({0}) = 'NULL' THEN NULL ELSE COALESCE(TRY_CAST({0}->>'$' AS "
                       "DOUBLE), {1}) END",
                       v, Error(v, field, "a number"));
  }
  // ... as BIGINT: an integer, or a string holding one (never rounded).
  std::string Int(const std::string& v, const std::string& field) const {
    if (!json_) return fmt::format("CAST({} AS BIGINT)", v);
    return fmt::format(
        "CASE WHEN {0} IS NULL OR json_type({0}) = 'NULL' THEN NULL WHEN regexp_full_match({0}->>'$', "
        "'\\s*[+-]?[0-9]+\\s*') THEN COALESCE(TRY_CAST({0}->>'$' AS BIGINT), {1}) ELSE {1} END",
        v, Error(v, field, "an integer"));
  }
  // ... as text (a JSON string's contents, a number's digits).
  std::string Text(const std::string& v) const {
    if (!json_) return fmt::format("CAST({} AS VARCHAR)", v);
    return fmt::format("CASE WHEN {0} IS NULL OR json_type({0}) = 'NULL' THEN NULL ELSE {0}->>'$' END", v);
  }
  // A flag (true/false, 1/0, "1"/"0") as BOOLEAN.
  std::string Flag(const std::string& v, const std::string& field) const {
    if (!json_) return fmt::format("COALESCE(CAST({} AS BOOLEAN), false)", v);
    return fmt::format(
        "CASE WHEN {0} IS NULL OR json_type({0}) = 'NULL' THEN false WHEN json_type({0}) = 'BOOLEAN' THEN ({0}->>'$') "
        "= 'true' ELSE {1} <> 0 END",
        v, Num(v, field));
  }

 private:
  std::string Error(const std::string& v, const std::string& field, const std::string& what) const {
    return fmt::format("error({} || CAST({} AS VARCHAR) || {} || CAST(r.prb_id AS VARCHAR) || ')')",
                       QuoteLiteral(fmt::format("--preset {}: field '{}' holds ", preset_, field)), v,
                       QuoteLiteral(fmt::format(", which is not {} (prb_id ", what)));
  }

  std::string preset_;
  bool json_;
};

// Seconds since the epoch (a number) as microseconds, like every other
// timestamp proberows writes.
std::string Micros(const std::string& seconds) { return fmt::format("CAST(round(({}) * 1000000) AS BIGINT)", seconds); }

// The native result formats (https://atlas.ripe.net/docs/apis/result-format/),
// every firmware: fields that changed type are read as JSON, fields that were
// renamed are read under both names.
constexpr char kNativeCommon[] =
    "'fw': 'JSON', 'prb_id': 'JSON', 'msm_id': 'JSON', 'timestamp': 'JSON', 'af': 'JSON', 'mode': 'VARCHAR', "
    "'proto': 'VARCHAR', 'dst_addr': 'VARCHAR', 'addr': 'VARCHAR', 'dst_name': 'VARCHAR', 'name': 'VARCHAR', "
    "'src_addr': 'VARCHAR', 'srcaddr': 'VARCHAR', 'from': 'VARCHAR', 'size': 'JSON', 'lts': 'JSON'";

PresetPlan NativeCommon(const Sql& s) {
  PresetPlan p;
  p.columns = {
      {"prb_id", s.Int("r.prb_id", "prb_id")},
      {"timestamp", Micros(s.Num("r.\"timestamp\"", "timestamp"))},
      {"msm_id", s.Int("r.msm_id", "msm_id")},
      {"fw", fmt::format("COALESCE({}, -1)", s.Int("r.fw", "fw"))},
      // af: 4 or 6; firmware 4400 wrote mode ICMP4/ICMP6 (UDP4, TCP6...);
      // firmware 1 neither (then the destination address tells).
      {"af", fmt::format("COALESCE({}, CASE WHEN r.mode LIKE '%6' THEN 6 WHEN r.mode LIKE '%4' THEN 4 END, CASE WHEN "
                         "COALESCE(r.dst_addr, r.addr) LIKE '%:%' THEN 6 ELSE 4 END)",
                         s.Int("r.af", "af"))},
      {"dst_addr", "COALESCE(r.dst_addr, r.addr, '')"},
      {"dst_name", "COALESCE(r.dst_name, r.name, '')"},
      {"src_addr", "COALESCE(r.src_addr, r.srcaddr, '')"},
      {"from", "COALESCE(r.\"from\", '')"},
      {"size", fmt::format("COALESCE({}, -1)", s.Int("r.size", "size"))},
      {"lts", fmt::format("COALESCE({}, -1)", s.Int("r.lts", "lts"))},
  };
  p.required = {"prb_id", "timestamp"};
  return p;
}

absl::StatusOr<PresetPlan> NativePing(InputFormat format, bool sql) {
  if (format != InputFormat::kJson || sql)
    return absl::InvalidArgumentError(
        "--preset ripe-atlas-ping reads RIPE Atlas result JSON (.json, .jsonl, .ndjson, optionally .gz/.zst); for "
        "BigQuery exports use --preset ripe-atlas-bigquery-ping");
  const Sql s("ripe-atlas-ping", true);
  PresetPlan p = NativeCommon(s);
  p.json_columns = fmt::format(
      "columns = {{{}, 'ttl': 'JSON', 'sent': 'JSON', 'rcvd': 'JSON', 'dup': 'JSON', 'min': 'JSON', 'avg': 'JSON', "
      "'max': 'JSON', 'result': 'STRUCT(rtt JSON, x VARCHAR, dup JSON, ttl JSON, error VARCHAR)[]'}}",
      kNativeCommon);
  // min/avg/max are -1 when nothing came back: NaN then (a NULL float).
  const auto stat = [&](const char* f) {
    return fmt::format("CASE WHEN {0} = -1 OR {1} = 0 THEN NULL ELSE {0} END", s.Num(fmt::format("r.\"{}\"", f), f),
                       s.Int("r.rcvd", "rcvd"));
  };
  p.columns.push_back({"proto", "COALESCE(r.proto, 'ICMP')"});
  p.columns.push_back({"sent", fmt::format("COALESCE({}, -1)", s.Int("r.sent", "sent"))});
  p.columns.push_back({"rcvd", fmt::format("COALESCE({}, -1)", s.Int("r.rcvd", "rcvd"))});
  p.columns.push_back({"dup", fmt::format("COALESCE({}, 0)", s.Int("r.dup", "dup"))});
  p.columns.push_back({"ttl", fmt::format("COALESCE({}, -1)", s.Int("r.ttl", "ttl"))});
  p.columns.push_back({"min", stat("min")});
  p.columns.push_back({"avg", stat("avg")});
  p.columns.push_back({"max", stat("max")});
  // One RTT per packet sent: duplicate replies dropped (counted by `dup`); a
  // timeout {"x": "*"} or an error {"error": ...} is NaN.
  p.columns.push_back(
      {"rtt", fmt::format("list_transform(list_filter(COALESCE(r.result, []), e -> NOT COALESCE({}, false)), e -> "
                          "CASE WHEN e.x IS NOT NULL OR e.error IS NOT NULL THEN NULL ELSE {} END)",
                          s.Flag("e.dup", "result.dup"), s.Num("e.rtt", "result.rtt"))});
  return p;
}

absl::StatusOr<PresetPlan> NativeTraceroute(InputFormat format, bool sql) {
  if (format != InputFormat::kJson || sql)
    return absl::InvalidArgumentError(
        "--preset ripe-atlas-traceroute reads RIPE Atlas result JSON (.json, .jsonl, .ndjson, optionally "
        ".gz/.zst)");
  const Sql s("ripe-atlas-traceroute", true);
  PresetPlan p = NativeCommon(s);
  p.json_columns = fmt::format(
      "columns = {{{}, 'endtime': 'JSON', 'paris_id': 'JSON', 'result': 'STRUCT(hop JSON, error VARCHAR, result "
      "STRUCT(\"from\" VARCHAR, rtt JSON, size JSON, ttl JSON, err JSON, x VARCHAR, dup JSON, late JSON)[])[]'}}",
      kNativeCommon);
  p.columns.push_back(
      {"proto", "COALESCE(r.proto, CASE WHEN r.mode LIKE 'UDP%' THEN 'UDP' WHEN r.mode LIKE 'ICMP%' THEN 'ICMP' WHEN "
                "r.mode LIKE 'TCP%' THEN 'TCP' ELSE '' END)"});
  p.columns.push_back({"endtime", fmt::format("COALESCE({}, -1)", Micros(s.Num("r.endtime", "endtime")))});
  p.columns.push_back({"paris_id", fmt::format("COALESCE({}, -1)", s.Int("r.paris_id", "paris_id"))});
  // Hops in order; per hop its replies, duplicate and late ones dropped; a
  // lost reply {"x": "*"} is kept with NaN / -1 / "".
  const std::string hops = "COALESCE(r.result, [])";
  const std::string replies = fmt::format(
      "list_filter(COALESCE(h.result, []), e -> NOT COALESCE({}, false) AND NOT COALESCE({} > 0, false))",
      s.Flag("e.dup", "result.result.dup"), s.Num("e.late", "result.result.late"));
  const auto per_reply = [&](const std::string& value) {
    return fmt::format("list_transform({}, h -> list_transform({}, e -> {}))", hops, replies, value);
  };
  p.columns.push_back({"hop", fmt::format("list_transform({}, h -> COALESCE({}, -1))", hops,
                                          s.Int("h.hop", "result.hop"))});
  p.columns.push_back({"hop_error", fmt::format("list_transform({}, h -> COALESCE(h.error, ''))", hops)});
  p.columns.push_back({"reply_from", per_reply("COALESCE(e.\"from\", '')")});
  p.columns.push_back({"reply_rtt", per_reply(s.Num("e.rtt", "result.result.rtt"))});
  p.columns.push_back({"reply_ttl", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.ttl", "result.result.ttl")))});
  p.columns.push_back(
      {"reply_size", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.size", "result.result.size")))});
  p.columns.push_back({"reply_err", per_reply(fmt::format("COALESCE({}, '')", s.Text("e.err")))});
  return p;
}

// RIPE Atlas' public BigQuery ping table (github.com/RIPE-NCC/ripe-atlas-
// bigquery, docs/measurements_ping.md), exported as Parquet or as
// newline-delimited JSON.
absl::StatusOr<PresetPlan> BigQueryPing(InputFormat format, bool sql) {
  const bool json = format == InputFormat::kJson && !sql;
  if (format == InputFormat::kCsv && !sql)
    return absl::InvalidArgumentError(
        "--preset ripe-atlas-bigquery-ping reads the ping table exported as Parquet or JSON (CSV cannot hold its "
        "`pings` list)");
  const Sql s("ripe-atlas-bigquery-ping", json);
  PresetPlan p;
  if (json) {
    p.json_columns =
        "columns = {'af': 'JSON', 'prb_id': 'JSON', 'last_time_synced': 'JSON', 'msm_id': 'JSON', 'src_addr': "
        "'VARCHAR', 'dst_addr': 'VARCHAR', 'synth_addr': 'VARCHAR', 'start_time': 'VARCHAR', 'size': 'JSON', "
        "'packets_sent': 'JSON', 'packets_received': 'JSON', 'pings': 'STRUCT(timeout JSON, error JSON, "
        "error_message VARCHAR, rtt JSON, reply_src_addr VARCHAR, ttl JSON, dup JSON)[]'}";
  }
  p.required = {"prb_id", "start_time", "pings"};
  const std::string start =
      json ? "epoch_us(CAST(regexp_replace(r.start_time, ' UTC$', '+00') AS TIMESTAMPTZ))" : "epoch_us(r.start_time)";
  // The replies that count: not duplicates.
  const std::string pings = fmt::format("list_filter(COALESCE(r.pings, []), e -> NOT COALESCE({} > 0, false))",
                                        s.Num("e.dup", "pings.dup"));
  const std::string rtt_of = fmt::format("CASE WHEN {} OR {} THEN NULL ELSE {} END", s.Flag("e.timeout", "pings.timeout"),
                                         s.Flag("e.error", "pings.error"), s.Num("e.rtt", "pings.rtt"));
  const std::string rtts = fmt::format("list_transform({}, e -> {})", pings, rtt_of);
  const std::string answered = fmt::format("list_filter({}, x -> x IS NOT NULL AND NOT isnan(x))", rtts);
  p.columns = {
      {"prb_id", s.Int("r.prb_id", "prb_id")},
      {"timestamp", start},
      {"msm_id", s.Int("r.msm_id", "msm_id")},
      {"af", fmt::format("COALESCE({}, -1)", s.Int("r.af", "af"))},
      {"dst_addr", "COALESCE(r.dst_addr, '')"},
      {"src_addr", "COALESCE(r.src_addr, '')"},
      {"from", "COALESCE(r.synth_addr, '')"},
      {"size", fmt::format("COALESCE({}, -1)", s.Int("r.size", "size"))},
      {"lts", fmt::format("COALESCE({}, -1)", s.Int("r.last_time_synced", "last_time_synced"))},
      {"sent", fmt::format("COALESCE({}, -1)", s.Int("r.packets_sent", "packets_sent"))},
      {"rcvd", fmt::format("COALESCE({}, -1)", s.Int("r.packets_received", "packets_received"))},
      {"dup", fmt::format("len(COALESCE(r.pings, [])) - len({})", pings)},
      {"ttl", fmt::format("COALESCE(list_first(list_filter(list_transform({}, e -> {}), x -> x IS NOT NULL)), -1)",
                          pings, s.Int("e.ttl", "pings.ttl"))},
      {"min", fmt::format("list_min({})", answered)},
      {"avg", fmt::format("list_avg({})", answered)},
      {"max", fmt::format("list_max({})", answered)},
      {"rtt", rtts},
  };
  return p;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> PresetList() {
  return {
      {"ripe-atlas-ping", "RIPE Atlas ping results as the API and daily dumps give them (JSON, any firmware)"},
      {"ripe-atlas-traceroute",
       "RIPE Atlas traceroute results as the API and daily dumps give them (JSON, any firmware since 4400)"},
      {"ripe-atlas-bigquery-ping", "RIPE Atlas' BigQuery ping table (ripencc-atlas.measurements.ping) exported as "
                                   "Parquet or JSON"},
  };
}

absl::StatusOr<PresetPlan> PlanPreset(const std::string& name, InputFormat format, bool sql) {
  if (name == "ripe-atlas-ping") return NativePing(format, sql);
  if (name == "ripe-atlas-traceroute") return NativeTraceroute(format, sql);
  if (name == "ripe-atlas-bigquery-ping") return BigQueryPing(format, sql);
  std::string names;
  for (const auto& [n, d] : PresetList()) names += (names.empty() ? "" : ", ") + n;
  return absl::NotFoundError(fmt::format("--preset: unknown preset '{}' (presets: {})", name, names));
}

}  // namespace proberows
