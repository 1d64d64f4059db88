#include "source/presets.h"

#include <fmt/format.h>

#include "source/duckdb_handle.h"

namespace proberows {

namespace {

// Seconds since the epoch (a number) as microseconds, like every other
// timestamp proberows writes.
std::string Micros(const std::string& seconds) { return fmt::format("CAST(round(({}) * 1000000) AS BIGINT)", seconds); }

// SQL building blocks over raw RIPE Atlas fields. Firmware differs in how it
// writes numbers (12.5 or "12.5"); numeric fields are read as DOUBLE, which
// DuckDB's JSON reader fills from numbers and numeric strings alike (and
// refuses anything else, naming the file and line). Integers are then
// checked strictly: a fraction is an error naming the preset, the field, the
// value and the probe, never silently rounded.
class Sql {
 public:
  explicit Sql(std::string preset) : preset_(std::move(preset)) {}

  // A numeric field as DOUBLE (NULL when missing).
  std::string Num(const std::string& v) const { return fmt::format("CAST({} AS DOUBLE)", v); }
  // ... as BIGINT: an integral value below 2^53, else an error.
  std::string Int(const std::string& v, const std::string& field) const {
    return fmt::format(
        "CASE WHEN {0} IS NULL THEN NULL WHEN {0} = trunc({0}) AND abs({0}) < 9007199254740992 THEN CAST({0} AS "
        "BIGINT) ELSE {1} END",
        Num(v), Error(Num(v), field, "an integer"));
  }
  // A numeric field as a finite DOUBLE: 1e400 (read as infinity) is an
  // error, never an Infinity in the output.
  std::string Real(const std::string& v, const std::string& field) const {
    return fmt::format("CASE WHEN isinf({0}) THEN {1} ELSE {0} END", Num(v), Error(Num(v), field, "a finite number"));
  }
  // A time in seconds since 1970 as microseconds: 0 <= t < 2^32 (RIPE
  // Atlas writes uint32 seconds), else an error. A millisecond value (as
  // other tools write) would otherwise become a year ~52,000 and be rounded.
  std::string Seconds(const std::string& v, const std::string& field) const {
    return fmt::format("CASE WHEN {0} IS NULL THEN NULL WHEN {0} >= 0 AND {0} < 4294967296 THEN {1} ELSE {2} END",
                       Num(v), Micros(Num(v)), Error(Num(v), field, "a time in seconds since 1970 (0 to 4294967295)"));
  }
  // A flag read as DOUBLE (true/false, 1/0 and "1"/"0" alike) as BOOLEAN;
  // false when missing.
  std::string Flag(const std::string& v) const { return fmt::format("COALESCE({} <> 0, false)", Num(v)); }

 private:
  std::string Error(const std::string& v, const std::string& field, const std::string& what) const {
    return fmt::format("error({} || CAST({} AS VARCHAR) || {} || CAST(TRY_CAST(r.prb_id AS BIGINT) AS VARCHAR) || ')')",
                       QuoteLiteral(fmt::format("--preset {}: field '{}' holds ", preset_, field)), v,
                       QuoteLiteral(fmt::format(", which is not {} (prb_id ", what)));
  }

  std::string preset_;
};

// The native result formats (https://atlas.ripe.net/docs/apis/result-format/),
// every firmware: fields that changed type are read as JSON, fields that were
// renamed are read under both names.
using Fields = std::vector<std::pair<std::string, std::string>>;
Fields NativeCommonFields() {
  return {{"fw", "DOUBLE"},       {"prb_id", "DOUBLE"},    {"msm_id", "DOUBLE"}, {"timestamp", "DOUBLE"},
          {"af", "DOUBLE"},       {"mode", "VARCHAR"},     {"proto", "VARCHAR"}, {"dst_addr", "VARCHAR"},
          {"addr", "VARCHAR"},    {"dst_name", "VARCHAR"}, {"name", "VARCHAR"},  {"src_addr", "VARCHAR"},
          {"srcaddr", "VARCHAR"}, {"from", "VARCHAR"},     {"size", "DOUBLE"},   {"lts", "DOUBLE"},
          {"type", "VARCHAR"}};
}

// Sets the raw JSON fields and the read_json option that reads them.
void SetJsonFields(Fields fields, PresetPlan* p) {
  p->json_columns = "columns = {";
  for (size_t i = 0; i < fields.size(); ++i)
    p->json_columns += fmt::format("{}'{}': '{}'", i ? ", " : "", fields[i].first, fields[i].second);
  p->json_columns += "}";
  p->json_fields = std::move(fields);
}

// The key, or an error for a result of another type than the preset reads:
// a ping preset on traceroute results would otherwise build rows of NaN rtts
// and -1 counts without a word. Old firmware wrote no `type`: taken as is.
std::string KeyOfType(const Sql& s, const std::string& preset, const std::string& type) {
  const std::string ours = QuoteLiteral(type);
  return fmt::format(
      "CASE WHEN r.\"type\" IS NOT NULL AND r.\"type\" <> {0} THEN error({1} || r.\"type\" || {2} || "
      "COALESCE(CAST(TRY_CAST(r.prb_id AS BIGINT) AS VARCHAR), 'NULL') || ')' || CASE r.\"type\" WHEN 'ping' THEN "
      "'; use --preset ripe-atlas-ping for them' WHEN 'traceroute' THEN '; use --preset ripe-atlas-traceroute for "
      "them' ELSE '; no preset reads them' END || {3}) ELSE {4} END",
      ours,
      QuoteLiteral(fmt::format("--preset {} reads RIPE Atlas results of type '{}'; the input holds a result of type '",
                               preset, type)),
      QuoteLiteral("' (prb_id "), QuoteLiteral(" (a file mixing types must be split by type first)"),
      s.Int("r.prb_id", "prb_id"));
}

PresetPlan NativeCommon(const Sql& s, const std::string& preset, const std::string& type) {
  PresetPlan p;
  p.columns = {
      {"prb_id", KeyOfType(s, preset, type)},
      {"timestamp", s.Seconds("r.\"timestamp\"", "timestamp")},
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
        "--preset ripe-atlas-ping reads RIPE Atlas result JSON (.json, .jsonl, .ndjson, optionally .gz/.zst/.bz2, "
        "and RIPE's daily dumps NAME.bz2); for "
        "BigQuery exports use --preset ripe-atlas-bigquery-ping");
  const Sql s("ripe-atlas-ping");
  PresetPlan p = NativeCommon(s, "ripe-atlas-ping", "ping");
  Fields fields = NativeCommonFields();
  fields.insert(fields.end(), {{"ttl", "DOUBLE"},
                               {"sent", "DOUBLE"},
                               {"rcvd", "DOUBLE"},
                               {"dup", "DOUBLE"},
                               {"min", "DOUBLE"},
                               {"avg", "DOUBLE"},
                               {"max", "DOUBLE"},
                               {"result", "STRUCT(rtt DOUBLE, x VARCHAR, dup DOUBLE, error VARCHAR)[]"}});
  SetJsonFields(std::move(fields), &p);
  // min/avg/max are -1 when nothing came back: NaN then (a NULL float).
  const auto stat = [&](const char* f) {
    return fmt::format("CASE WHEN {0} = -1 OR {1} = 0 THEN NULL ELSE {0} END", s.Real(fmt::format("r.\"{}\"", f), f),
                       s.Num("r.rcvd"));
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
                          s.Flag("e.dup"), s.Real("e.rtt", "result.rtt"))});
  return p;
}

absl::StatusOr<PresetPlan> NativeTraceroute(InputFormat format, bool sql) {
  if (format != InputFormat::kJson || sql)
    return absl::InvalidArgumentError(
        "--preset ripe-atlas-traceroute reads RIPE Atlas result JSON (.json, .jsonl, .ndjson, optionally "
        ".gz/.zst/.bz2, and RIPE's daily dumps NAME.bz2)");
  const Sql s("ripe-atlas-traceroute");
  PresetPlan p = NativeCommon(s, "ripe-atlas-traceroute", "traceroute");
  Fields fields = NativeCommonFields();
  fields.insert(fields.end(), {{"endtime", "DOUBLE"},
                               {"paris_id", "DOUBLE"},
                               {"result",
                                "STRUCT(hop DOUBLE, error VARCHAR, result STRUCT(\"from\" VARCHAR, rtt DOUBLE, size "
                                "DOUBLE, ttl DOUBLE, err VARCHAR, x VARCHAR, dup DOUBLE, late DOUBLE)[])[]"}});
  SetJsonFields(std::move(fields), &p);
  p.columns.push_back(
      {"proto",
       "COALESCE(r.proto, CASE WHEN r.mode LIKE 'UDP%' THEN 'UDP' WHEN r.mode LIKE 'ICMP%' THEN 'ICMP' WHEN "
       "r.mode LIKE 'TCP%' THEN 'TCP' ELSE '' END)"});
  p.columns.push_back({"endtime", fmt::format("COALESCE({}, -1)", s.Seconds("r.endtime", "endtime"))});
  p.columns.push_back({"paris_id", fmt::format("COALESCE({}, -1)", s.Int("r.paris_id", "paris_id"))});
  // Hops in order; per hop its replies, duplicate and late ones dropped; a
  // lost reply {"x": "*"} is kept with NaN / -1 / "".
  const std::string hops = "COALESCE(r.result, [])";
  const std::string replies =
      fmt::format("list_filter(COALESCE(h.result, []), e -> NOT COALESCE({}, false) AND NOT COALESCE({} > 0, false))",
                  s.Flag("e.dup"), s.Num("e.late"));
  const auto per_reply = [&](const std::string& value) {
    return fmt::format("list_transform({}, h -> list_transform({}, e -> {}))", hops, replies, value);
  };
  p.columns.push_back(
      {"hop", fmt::format("list_transform({}, h -> COALESCE({}, -1))", hops, s.Int("h.hop", "result.hop"))});
  p.columns.push_back({"hop_error", fmt::format("list_transform({}, h -> COALESCE(h.error, ''))", hops)});
  p.columns.push_back({"reply_from", per_reply("COALESCE(e.\"from\", '')")});
  p.columns.push_back({"reply_rtt", per_reply(s.Real("e.rtt", "result.result.rtt"))});
  p.columns.push_back({"reply_ttl", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.ttl", "result.result.ttl")))});
  p.columns.push_back(
      {"reply_size", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.size", "result.result.size")))});
  p.columns.push_back({"reply_err", per_reply("COALESCE(e.err, '')")});
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
  const Sql s("ripe-atlas-bigquery-ping");
  PresetPlan p;
  if (json) {
    // BigQuery's JSON export writes INT64 as strings and TIMESTAMP as
    // "2024-05-01 12:34:56 UTC"; DOUBLE takes both numbers and numeric strings.
    SetJsonFields({{"af", "DOUBLE"},
                   {"prb_id", "DOUBLE"},
                   {"last_time_synced", "DOUBLE"},
                   {"msm_id", "DOUBLE"},
                   {"src_addr", "VARCHAR"},
                   {"dst_addr", "VARCHAR"},
                   {"synth_addr", "VARCHAR"},
                   {"start_time", "VARCHAR"},
                   {"size", "DOUBLE"},
                   {"packets_sent", "DOUBLE"},
                   {"packets_received", "DOUBLE"},
                   {"pings",
                    "STRUCT(timeout BOOLEAN, error BOOLEAN, error_message VARCHAR, rtt DOUBLE, reply_src_addr "
                    "VARCHAR, ttl DOUBLE, dup DOUBLE)[]"}},
                  &p);
  }
  p.required = {"prb_id", "start_time", "pings"};
  p.optional = {{"af", "BIGINT"},        {"last_time_synced", "BIGINT"}, {"msm_id", "BIGINT"},
                {"src_addr", "VARCHAR"}, {"dst_addr", "VARCHAR"},        {"synth_addr", "VARCHAR"},
                {"size", "BIGINT"},      {"packets_sent", "BIGINT"},     {"packets_received", "BIGINT"}};
  const std::string start =
      json ? "epoch_us(CAST(regexp_replace(r.start_time, ' UTC$', '+00') AS TIMESTAMPTZ))" : "epoch_us(r.start_time)";
  // The replies that count: not duplicates (counted by `dup`).
  const std::string pings = "list_filter(COALESCE(r.pings, []), e -> NOT COALESCE(e.dup > 0, false))";
  const std::string rtts = fmt::format(
      "list_transform({}, e -> CASE WHEN COALESCE(e.timeout, false) OR COALESCE(e.error, false) THEN NULL ELSE {} "
      "END)",
      pings, s.Real("e.rtt", "pings.rtt"));
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

// RIPE Atlas' BigQuery traceroute table (docs/measurements_traceroute.md of
// github.com/RIPE-NCC/ripe-atlas-bigquery): `hops` holds one element per
// reply, with its hop number; the preset regroups them per hop, as the
// native traceroute preset writes them.
absl::StatusOr<PresetPlan> BigQueryTraceroute(InputFormat format, bool sql) {
  const bool json = format == InputFormat::kJson && !sql;
  if (format == InputFormat::kCsv && !sql)
    return absl::InvalidArgumentError(
        "--preset ripe-atlas-bigquery-traceroute reads the traceroute table exported as Parquet or JSON (CSV cannot "
        "hold its `hops` list)");
  const Sql s("ripe-atlas-bigquery-traceroute");
  PresetPlan p;
  if (json) {
    SetJsonFields(
        {{"af", "DOUBLE"},
         {"proto", "VARCHAR"},
         {"protoc", "VARCHAR"},
         {"prb_id", "DOUBLE"},
         {"last_time_synced", "DOUBLE"},
         {"msm_id", "DOUBLE"},
         {"src_addr", "VARCHAR"},
         {"dst_addr", "VARCHAR"},
         {"synth_addr", "VARCHAR"},
         {"start_time", "VARCHAR"},
         {"end_time", "VARCHAR"},
         {"size", "DOUBLE"},
         {"paris_id", "DOUBLE"},
         {"hops", "STRUCT(hop DOUBLE, hop_addr VARCHAR, rtt DOUBLE, err VARCHAR, ttl DOUBLE, reply_size DOUBLE)[]"}},
        &p);
  }
  p.required = {"prb_id", "start_time", "hops"};
  p.optional = {
      {"af", "BIGINT"},          {"proto", "VARCHAR"},    {"protoc", "VARCHAR"},   {"last_time_synced", "BIGINT"},
      {"msm_id", "BIGINT"},      {"src_addr", "VARCHAR"}, {"dst_addr", "VARCHAR"}, {"synth_addr", "VARCHAR"},
      {"end_time", "TIMESTAMP"}, {"size", "BIGINT"},      {"paris_id", "BIGINT"}};
  const auto micros = [&](const std::string& t) {
    return json ? fmt::format("epoch_us(CAST(regexp_replace({}, ' UTC$', '+00') AS TIMESTAMPTZ))", t)
                : fmt::format("epoch_us({})", t);
  };
  // The hop numbers in order, then each hop's replies in table order.
  const std::string numbers = "list_sort(list_distinct(list_transform(COALESCE(r.hops, []), h -> h.hop)))";
  const auto per_reply = [&](const std::string& value) {
    return fmt::format("list_transform({}, n -> list_transform(list_filter(r.hops, h -> h.hop = n), e -> {}))", numbers,
                       value);
  };
  p.columns = {
      {"prb_id", s.Int("r.prb_id", "prb_id")},
      {"timestamp", micros("r.start_time")},
      {"msm_id", s.Int("r.msm_id", "msm_id")},
      {"af", fmt::format("COALESCE({}, -1)", s.Int("r.af", "af"))},
      {"proto", "COALESCE(r.proto, r.protoc, '')"},
      {"dst_addr", "COALESCE(r.dst_addr, '')"},
      {"src_addr", "COALESCE(r.src_addr, '')"},
      {"from", "COALESCE(r.synth_addr, '')"},
      {"size", fmt::format("COALESCE({}, -1)", s.Int("r.size", "size"))},
      {"lts", fmt::format("COALESCE({}, -1)", s.Int("r.last_time_synced", "last_time_synced"))},
      {"endtime", fmt::format("COALESCE({}, -1)", micros("r.end_time"))},
      {"paris_id", fmt::format("COALESCE({}, -1)", s.Int("r.paris_id", "paris_id"))},
      {"hop", fmt::format("list_transform({}, n -> COALESCE({}, -1))", numbers, s.Int("n", "hops.hop"))},
      {"reply_from", per_reply("COALESCE(e.hop_addr, '')")},
      {"reply_rtt", per_reply(s.Real("e.rtt", "hops.rtt"))},
      {"reply_ttl", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.ttl", "hops.ttl")))},
      {"reply_size", per_reply(fmt::format("COALESCE({}, -1)", s.Int("e.reply_size", "hops.reply_size")))},
      {"reply_err", per_reply("COALESCE(CAST(e.err AS VARCHAR), '')")},
  };
  return p;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> PresetList() {
  return {
      {"ripe-atlas-ping", "RIPE Atlas ping results as the API and daily dumps give them (JSON, any firmware)"},
      {"ripe-atlas-traceroute",
       "RIPE Atlas traceroute results as the API and daily dumps give them (JSON, any firmware since 4400)"},
      {"ripe-atlas-bigquery-ping",
       "RIPE Atlas' BigQuery ping table (ripencc-atlas.measurements.ping) exported as "
       "Parquet or JSON"},
      {"ripe-atlas-bigquery-traceroute",
       "RIPE Atlas' BigQuery traceroute table (ripencc-atlas.measurements.traceroute) exported as Parquet or JSON"},
  };
}

absl::StatusOr<PresetPlan> PlanPreset(const std::string& name, InputFormat format, bool sql) {
  if (name == "ripe-atlas-ping") return NativePing(format, sql);
  if (name == "ripe-atlas-traceroute") return NativeTraceroute(format, sql);
  if (name == "ripe-atlas-bigquery-ping") return BigQueryPing(format, sql);
  if (name == "ripe-atlas-bigquery-traceroute") return BigQueryTraceroute(format, sql);
  std::string names;
  for (const auto& [n, d] : PresetList()) names += (names.empty() ? "" : ", ") + n;
  return absl::NotFoundError(fmt::format("--preset: unknown preset '{}' (presets: {})", name, names));
}

}  // namespace proberows
