// How the SQL works (docs/dataset.md has the user-facing description):
//
//  * Randomness. gen_probe_hash(i) = hash(hash(seed, i)) and
//    gen_row_hash(i, j) = hash(hash(seed, i, j)) are computed once per row;
//    each quantity is then drawn as gen_d(h, tag) = hash(xor(h, hash(tag)))
//    (hash(tag) folds to a constant). The outer hash() matters: DuckDB's
//    multi-argument hash() combines arguments so that calls differing only
//    in the last argument differ by a constant XOR, i.e. are correlated; a
//    single-argument hash() is a 64-bit finalizer that removes this.
//    Probe-level tags are < 100, per-(probe, path) tags 100 + 4*path + x,
//    row-level tags are taken from gen_row_hash, so no two draws coincide.
//  * Probe table. Probe i gets weight w_i (a lognormal with sigma 0.9,
//    truncated at 3 sigma, as an integer). With R = measurements - probes,
//    C_i the cumulative weight and W the total, probe i gets
//      cnt_i = 1 + floor(R * C_i / W) - floor(R * C_{i-1} / W),
//    which telescopes to exactly `measurements`. C_i comes from a streaming
//    window (empty OVER () keeps range()'s order, constant memory). The
//    floors are exact: a DOUBLE estimate corrected by one step using
//    HUGEINT products (HUGEINT division costs ~1 us per row, too slow at
//    7.5M probes). `off` is the global index of the probe's first
//    measurement.
//  * One SELECT per file. Measurement g = off + j goes to file g mod files,
//    so file f expands, per probe, j = j0, j0 + files, ... (range() +
//    unnest, no join). Each row gets its timestamp from (i, j, cnt) alone,
//    the narrow (t, i, j) rows are sorted (DuckDB's external sort, bounded
//    by memory_limit), and every other column is a function of (i, j, t)
//    computed after the sort, so the sort never carries the wide columns.
#include "gen/generate_sql.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace proberows {

namespace {

// Time span of the synthetic dataset: 30 days from its start
// (GenerateShape::start_epoch_seconds, 2024-01-01T00:00:00Z by default).
constexpr int64_t kPeriodSeconds = 30 * 86400;

// The targets measured (well-known root name server addresses). Measurement
// ids: 1001 + k for IPv4 and 1011 + k for IPv6.
struct Target {
  const char* v4;
  const char* v6;
  int initial_ttl;  // TTL the target sends replies with
  int size;         // packet size of its measurements
  const char* proto;
  int packets;  // packets sent per measurement
};
constexpr Target kTargets[] = {
    {"198.41.0.4", "2001:503:ba3e::2:30", 64, 48, "ICMP", 3}, {"192.33.4.12", "2001:500:2::c", 64, 48, "ICMP", 3},
    {"199.7.91.13", "2001:500:2d::d", 255, 48, "ICMP", 3},    {"192.203.230.10", "2001:500:a8::e", 64, 48, "ICMP", 3},
    {"192.5.5.241", "2001:500:2f::f", 64, 48, "ICMP", 3},     {"198.97.190.53", "2001:500:1::53", 255, 64, "ICMP", 3},
    {"192.36.148.17", "2001:7fe::53", 64, 64, "ICMP", 3},     {"192.58.128.30", "2001:503:c27::2:30", 64, 48, "UDP", 3},
    {"193.0.14.129", "2001:7fd::1", 64, 48, "ICMP", 3},       {"202.12.27.33", "2001:dc3::35", 128, 48, "ICMP", 5},
};
constexpr int kNumTargets = sizeof(kTargets) / sizeof(kTargets[0]);

// Probe countries: share of probes (percent, sums to 100), centre and
// half-width of the box probes are placed in, three access-network ASNs, and
// the median base RTT (ms) of probes there.
struct Country {
  const char* code;
  int percent;
  double lat, lon, dlat, dlon;
  int asn[3];
  double rtt_ms;
};
constexpr Country kCountries[] = {
    {"DE", 20, 51.0, 10.4, 2.5, 3.5, {3320, 3209, 6805}, 12},
    {"US", 14, 39.0, -96.0, 8.0, 20.0, {7922, 701, 7018}, 18},
    {"FR", 10, 46.6, 2.4, 3.0, 3.5, {3215, 12322, 5410}, 12},
    {"GB", 9, 53.0, -1.8, 2.5, 2.0, {2856, 5089, 5607}, 12},
    {"NL", 7, 52.2, 5.3, 0.8, 1.2, {1136, 33915, 31615}, 10},
    {"RU", 6, 55.7, 40.0, 4.0, 15.0, {12389, 8359, 3216}, 20},
    {"IT", 5, 42.8, 12.5, 3.0, 3.0, {3269, 30722, 12874}, 14},
    {"ES", 4, 40.3, -3.7, 3.0, 4.0, {3352, 12479, 12430}, 14},
    {"CH", 3, 46.8, 8.2, 0.6, 1.3, {3303, 6730, 6830}, 10},
    {"BE", 2, 50.6, 4.6, 0.6, 1.2, {5432, 6848, 12392}, 10},
    {"AT", 2, 47.6, 14.1, 0.8, 2.5, {8447, 8412, 25255}, 12},
    {"SE", 2, 59.5, 16.0, 3.0, 3.0, {3301, 1257, 8473}, 12},
    {"PL", 2, 52.0, 19.4, 2.0, 3.5, {5617, 12741, 6830}, 14},
    {"CZ", 2, 49.8, 15.5, 0.8, 2.5, {5610, 16019, 6830}, 12},
    {"UA", 2, 49.0, 31.0, 2.5, 6.0, {15895, 6849, 13188}, 20},
    {"JP", 2, 36.0, 138.0, 3.0, 3.0, {2516, 4713, 17676}, 25},
    {"AU", 2, -33.0, 146.0, 5.0, 8.0, {1221, 4764, 7545}, 30},
    {"BR", 2, -20.0, -46.0, 6.0, 6.0, {28573, 18881, 26599}, 35},
    {"CA", 2, 46.0, -79.0, 4.0, 15.0, {577, 812, 852}, 18},
    {"IN", 1, 21.0, 78.0, 6.0, 6.0, {9829, 55836, 24560}, 45},
    {"ZA", 1, -29.0, 25.0, 3.0, 4.0, {37457, 36994, 16637}, 40},
};

// Renders `values` as a DuckDB list literal using `item` for each element.
template <typename T, typename F>
std::string ListLiteral(const T& values, F item) {
  std::string out = "[";
  bool first = true;
  for (const auto& v : values) {
    if (!first) out += ", ";
    first = false;
    out += item(v);
  }
  out += "]";
  return out;
}

std::string Quoted(std::string_view s) { return fmt::format("'{}'", s); }

// A target as the SQL needs it (kTargets, or the RIPE Atlas shape's list).
struct TargetSpec {
  std::string v4, v6, name, proto;
  int initial_ttl, size, packets;
};

// Root server names of kTargets, in its order. (Index 1 says b where the
// address is c-root's: kept, so that the synthetic JSON stays as it was.)
constexpr const char* kSyntheticNames[] = {
    "a.root-servers.net", "b.root-servers.net", "d.root-servers.net", "e.root-servers.net", "f.root-servers.net",
    "h.root-servers.net", "i.root-servers.net", "j.root-servers.net", "k.root-servers.net", "m.root-servers.net"};
static_assert(sizeof(kSyntheticNames) / sizeof(kSyntheticNames[0]) == kNumTargets);

std::vector<TargetSpec> SyntheticTargets() {
  std::vector<TargetSpec> out;
  for (int k = 0; k < kNumTargets; ++k) {
    const Target& t = kTargets[k];
    out.push_back({t.v4, t.v6, kSyntheticNames[k], t.proto, t.initial_ttl, t.size, t.packets});
  }
  return out;
}

// The RIPE Atlas shape's targets: the 13 root servers (a..m, as RIPE Atlas'
// built-in measurements ping them), then anchors.
struct RootServer {
  char letter;
  const char* v4;
  const char* v6;
  int initial_ttl;
};
constexpr RootServer kRootServers[] = {
    {'a', "198.41.0.4", "2001:503:ba3e::2:30", 64}, {'b', "170.247.170.2", "2801:1b8:10::b", 64},
    {'c', "192.33.4.12", "2001:500:2::c", 64},      {'d', "199.7.91.13", "2001:500:2d::d", 255},
    {'e', "192.203.230.10", "2001:500:a8::e", 64},  {'f', "192.5.5.241", "2001:500:2f::f", 64},
    {'g', "192.112.36.4", "2001:500:12::d0d", 64},  {'h', "198.97.190.53", "2001:500:1::53", 255},
    {'i', "192.36.148.17", "2001:7fe::53", 64},     {'j', "192.58.128.30", "2001:503:c27::2:30", 64},
    {'k', "193.0.14.129", "2001:7fd::1", 64},       {'l', "199.7.83.42", "2001:500:9f::42", 255},
    {'m', "202.12.27.33", "2001:dc3::35", 128},
};

// Targets of `measurement_ids` ids: IPv4 for every target, IPv6 for the
// first measurement_ids / 2.
int RipeV4Targets(int measurement_ids) { return (measurement_ids + 1) / 2; }

std::vector<TargetSpec> RipeTargets(int measurement_ids) {
  std::vector<TargetSpec> out;
  const int n = RipeV4Targets(measurement_ids);
  for (int k = 0; k < n; ++k) {
    if (k < static_cast<int>(sizeof(kRootServers) / sizeof(kRootServers[0]))) {
      const RootServer& r = kRootServers[k];
      out.push_back({r.v4, r.v6, fmt::format("{}.root-servers.net", r.letter), "ICMP", r.initial_ttl, 48, 3});
      continue;
    }
    // An anchor: named like RIPE Atlas' anchors (<country>-<n>-as<asn>), in
    // made-up addresses.
    const Country& c = kCountries[k % (sizeof(kCountries) / sizeof(kCountries[0]))];
    std::string cc = c.code;
    for (char& ch : cc) ch = static_cast<char>(ch - 'A' + 'a');
    out.push_back({fmt::format("185.{}.{}.{}", 42 + k % 150, (k * 37) % 256, 2 + (k * 11) % 250),
                   fmt::format("2a0{}:{:x}:{:x}::{:x}", 1 + k % 9, 0x1000 + k * 17, k * 3, 2 + k),
                   fmt::format("{}-{:03d}-as{}.anchors.atlas.ripe.net", cc, k, c.asn[k % 3]), "ICMP",
                   k % 5 == 0 ? 128 : 64, 48, 3});
  }
  return out;
}

// A list of 100 country indexes (1-based), country c appearing percent_c
// times: indexing it with a uniform 0..99 draw picks a country by weight.
std::string CountryPickList() {
  std::vector<int> pick;
  int index = 1;
  for (const Country& c : kCountries) {
    for (int k = 0; k < c.percent; ++k) pick.push_back(index);
    ++index;
  }
  return ListLiteral(pick, [](int v) { return fmt::format("{}", v); });
}

}  // namespace

const std::vector<GeneratedColumn>& GeneratedColumns() {
  static const std::vector<GeneratedColumn>* const kColumns = new std::vector<GeneratedColumn>{
      {"prb_id", "BIGINT"},    {"msm_id", "BIGINT"},    {"timestamp", "TIMESTAMP"}, {"af", "INTEGER"},
      {"src_addr", "VARCHAR"}, {"dst_addr", "VARCHAR"}, {"proto", "VARCHAR"},       {"size", "INTEGER"},
      {"ttl", "INTEGER"},      {"sent", "INTEGER"},     {"rcvd", "INTEGER"},        {"min", "DOUBLE"},
      {"avg", "DOUBLE"},       {"max", "DOUBLE"},       {"rtts", "DOUBLE[]"},       {"prb_lat", "DOUBLE"},
      {"prb_lon", "DOUBLE"},   {"prb_asn", "BIGINT"},   {"prb_country", "VARCHAR"},
  };
  return *kColumns;
}

namespace {

std::string SyntheticProbesSql(const GenerateShape& shape) {
  return fmt::format(
      R"sql(
CREATE OR REPLACE TEMP TABLE gen_probes AS
WITH weights AS (
  SELECT i, greatest(1, round(1000.0 * exp(0.9 * least(3.0, gen_gauss(gen_d(ph, 1), gen_d(ph, 2))))))::BIGINT AS w
  FROM (SELECT i, gen_probe_hash(i) AS ph FROM range({probes}) t(i))
), cumulative AS (
  -- an empty OVER () runs in the rows' original (i) order, streaming
  SELECT i, w, sum(w) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)::HUGEINT AS c
  FROM weights
), total AS (
  SELECT sum(w)::HUGEINT AS total FROM weights
), estimates AS (
  SELECT i, {extra}::HUGEINT * (c - w) AS lo_num, {extra}::HUGEINT * c AS hi_num, total,
         floor({extra}.0 * (c - w)::DOUBLE / total::DOUBLE)::HUGEINT AS lo_est,
         floor({extra}.0 * c::DOUBLE / total::DOUBLE)::HUGEINT AS hi_est
  FROM cumulative, total
), bounds AS (
  SELECT i,
         (lo_est + CASE WHEN lo_num - lo_est * total < 0 THEN -1 WHEN lo_num - lo_est * total >= total THEN 1
                        ELSE 0 END)::BIGINT AS lo,
         (hi_est + CASE WHEN hi_num - hi_est * total < 0 THEN -1 WHEN hi_num - hi_est * total >= total THEN 1
                        ELSE 0 END)::BIGINT AS hi
  FROM estimates
)
SELECT i, i + lo AS off, 1 + hi - lo AS cnt
FROM bounds;
)sql",
      fmt::arg("probes", shape.probes), fmt::arg("extra", shape.measurements - shape.probes));
}

// The streams of the RIPE Atlas shape: every probe runs the IPv4 measurement
// of every target, probes with IPv6 (40%, as in the synthetic shape) the
// IPv6 ones too. Numbered by (measurement, probe), so that the first cycle
// reaches every probe first.
std::string RipeStreamsSql(const GenerateShape& shape) {
  return fmt::format(
      R"sql(
CREATE OR REPLACE TEMP TABLE gen_streams AS
SELECT (row_number() OVER (ORDER BY m, i) - 1)::BIGINT AS s, i, m
FROM (SELECT i, gen_d(gen_probe_hash(i), 5) % 100 < 40 AS has_v6 FROM range({probes}) t(i)) p,
     range({measurement_ids}) u(m)
WHERE m < {v4_targets} OR has_v6;
)sql",
      fmt::arg("probes", shape.probes), fmt::arg("measurement_ids", shape.measurement_ids),
      fmt::arg("v4_targets", RipeV4Targets(shape.measurement_ids)));
}

}  // namespace

std::string GenerateSetupSql(const GenerateShape& shape) {
  return fmt::format(
      R"sql(
CREATE OR REPLACE TEMP MACRO gen_u01(h) AS ((h >> 11)::DOUBLE + 0.5) / 9007199254740992.0;
CREATE OR REPLACE TEMP MACRO gen_u26(h, shift) AS (((h >> shift) & 67108863)::DOUBLE + 0.5) / 67108864.0;
CREATE OR REPLACE TEMP MACRO gen_gauss(h1, h2) AS sqrt(-2.0 * ln(gen_u01(h1))) * cos(2.0 * pi() * gen_u01(h2));
CREATE OR REPLACE TEMP MACRO gen_probe_hash(i) AS hash(hash({seed}::UBIGINT, i));
CREATE OR REPLACE TEMP MACRO gen_row_hash(i, j) AS hash(hash({seed}::UBIGINT, i, j));
CREATE OR REPLACE TEMP MACRO gen_d(h, tag) AS hash(xor(h, hash(tag)));
{table})sql",
      fmt::arg("seed", shape.seed), fmt::arg("table", shape.ripe ? RipeStreamsSql(shape) : SyntheticProbesSql(shape)));
}

namespace {

// The columns of every measurement, computed from the CTE `probe2` that
// `head` ends with (one row per measurement, in output order, holding at
// least i (probe index), t (seconds since the start), ph and rh (probe and
// measurement hashes), k (target index into `targets`), v6, c (country,
// 1-based), flaky): the RTTs, losses and TTLs of the path, the addresses, and
// the per-probe columns. `v6_base` is the msm_id of target 0 over IPv6
// (IPv4: 1001).
std::string MeasurementColumnsSql(const GenerateShape& shape, const std::string& head,
                                  const std::vector<TargetSpec>& targets, int v6_base) {
  // Probe ids: probe i owns the id block [i*G + 1, i*G + G] and takes a
  // random id inside it, so ids are unique, sparse, and span ~1..1,000,000 at
  // the default size (at least 1..2*probes).
  const uint64_t id_block = std::max<uint64_t>(2, 1000000 / shape.probes);
  auto target_list = [&](auto field) { return ListLiteral(targets, field); };
  auto country_list = [](auto field) { return ListLiteral(kCountries, field); };
  // First octets of public-looking IPv4 addresses: unicast, not 10/8, 127/8,
  // 100/8 (shared), 169/8 (link-local), 172/8 or 192/8 (private ranges).
  std::vector<int> public_octets;
  for (int octet = 1; octet <= 223; ++octet) {
    if (octet != 10 && octet != 100 && octet != 127 && octet != 169 && octet != 172 && octet != 192) {
      public_octets.push_back(octet);
    }
  }
  // RTT of packet p (0..4): the path's base RTT with +-2.5% jitter, a rare
  // spike, and an exponential queueing delay; two 26-bit uniforms of one hash.
  std::string rtt_items;
  for (int p = 0; p < 5; ++p) {
    if (p > 0) rtt_items += ",\n           ";
    rtt_items += fmt::format(
        "round(base * (0.975 + 0.05 * gen_u26(gen_d(rh, {tag}), 0)) + spike"
        " - ln(gen_u26(gen_d(rh, {tag}), 32)) * (0.03 * base + 0.2), 3)",
        fmt::arg("tag", 20 + p));
  }
  return fmt::format(
      R"sql({head}), measured AS (
  SELECT *,
         {packets}[k + 1] AS sent,
         k * 2 + CASE WHEN v6 THEN 1 ELSE 0 END AS path,
         gen_u01(gen_d(rh, 5)) < (CASE WHEN flaky < 2 THEN 0.35 WHEN flaky < 12 THEN 0.06 ELSE 0.01 END
                                  + CASE WHEN v6 THEN 0.02 ELSE 0.0 END) AS down,
         gen_d(rh, 10) AS loss_bits
  FROM probe2
), received AS (
  SELECT *,
         -- each packet is lost with probability 61/4096 (~1.5%), 12 bits of loss_bits per packet
         CASE WHEN down THEN 0 ELSE
           ((loss_bits & 4095) >= 61)::INTEGER + (((loss_bits >> 12) & 4095) >= 61)::INTEGER
           + (((loss_bits >> 24) & 4095) >= 61)::INTEGER
           + CASE WHEN sent > 3 THEN (((loss_bits >> 36) & 4095) >= 61)::INTEGER
                                   + (((loss_bits >> 48) & 4095) >= 61)::INTEGER ELSE 0 END
         END AS rcvd,
         least(700.0, greatest(0.4, {country_rtt}[c] * exp(0.8 * gen_gauss(gen_d(ph, 100 + path * 4),
                                                                           gen_d(ph, 101 + path * 4)))))
           AS base,
         CASE WHEN gen_d(rh, 6) % 100 < 2 THEN 20.0 + 280.0 * gen_u01(gen_d(rh, 7)) ELSE 0.0 END AS spike
  FROM measured
), with_rtts AS (
  SELECT *,
         list_slice([
           {rtt_items}
         ]::DOUBLE[], 1, rcvd) AS rtts
  FROM received
)
SELECT
  (i * {id_block} + 1 + (gen_d(ph, 3) % {id_block})::BIGINT)::BIGINT AS prb_id,
  (CASE WHEN v6 THEN {v6_base} ELSE 1001 END + k)::BIGINT AS msm_id,
  make_timestamp(({start} + t) * 1000000) AS "timestamp",
  (CASE WHEN v6 THEN 6 ELSE 4 END)::INTEGER AS af,
  CASE WHEN v6 THEN printf('%s:%x:%x:%x:%x:%x:%x:%x',
                           ['2a02', '2a01', '2001', '2600', '2603', '2804', '2a00', '2c0f'][(gen_d(ph, 14) % 8 + 1)::BIGINT],
                           1 + ((gen_d(ph, 14) >> 8) & 65535) % 65535, 1 + ((gen_d(ph, 14) >> 24) & 65535) % 65535,
                           1 + ((gen_d(ph, 14) >> 40) & 65535) % 65535, 1 + (gen_d(ph, 15) & 65535) % 65535,
                           1 + ((gen_d(ph, 15) >> 16) & 65535) % 65535, 1 + ((gen_d(ph, 15) >> 32) & 65535) % 65535,
                           1 + ((gen_d(ph, 15) >> 48) & 65535) % 65535)
       WHEN gen_d(ph, 12) % 100 < 40
         THEN printf('192.168.%d.%d', [0, 1, 1, 2, 178, 100][(gen_d(ph, 13) % 6 + 1)::BIGINT],
                     2 + (gen_d(ph, 13) >> 8) % 252)
       WHEN gen_d(ph, 12) % 100 < 55
         THEN printf('10.%d.%d.%d', (gen_d(ph, 13) >> 8) & 255, (gen_d(ph, 13) >> 16) & 255,
                     2 + (gen_d(ph, 13) >> 24) % 252)
       WHEN gen_d(ph, 12) % 100 < 60
         THEN printf('172.%d.%d.%d', 16 + (gen_d(ph, 13) >> 8) % 16, (gen_d(ph, 13) >> 16) & 255,
                     2 + (gen_d(ph, 13) >> 24) % 252)
       ELSE printf('%d.%d.%d.%d', {public_octets}[(gen_d(ph, 13) % {num_public_octets} + 1)::BIGINT],
                   (gen_d(ph, 13) >> 8) & 255, (gen_d(ph, 13) >> 16) & 255, 1 + (gen_d(ph, 13) >> 24) % 254)
  END AS src_addr,
  CASE WHEN v6 THEN {target_v6}[k + 1] ELSE {target_v4}[k + 1] END AS dst_addr,
  {target_proto}[k + 1] AS proto,
  {target_size}[k + 1]::INTEGER AS size,
  CASE WHEN rcvd > 0
       THEN ({target_ttl}[k + 1] - 3 - (gen_d(ph, 102 + path * 4) % 20)::INTEGER
             - CASE WHEN gen_d(rh, 8) % 40 = 0 THEN 1 ELSE 0 END)::INTEGER
       ELSE 0  -- no reply, no TTL: 0, never NULL (only min/avg/max are NULL)
  END AS ttl,
  sent::INTEGER AS sent,
  rcvd::INTEGER AS rcvd,
  list_min(rtts) AS "min",
  round(list_avg(rtts), 3) AS "avg",
  list_max(rtts) AS "max",
  rtts,
  round({country_lat}[c] + {country_dlat}[c] * (2.0 * gen_u01(gen_d(ph, 8)) - 1.0), 4) AS prb_lat,
  round({country_lon}[c] + {country_dlon}[c] * (2.0 * gen_u01(gen_d(ph, 9)) - 1.0), 4) AS prb_lon,
  (CASE WHEN gen_d(ph, 10) % 100 < 60 THEN {country_asns}[c][(gen_d(ph, 11) % 3 + 1)::BIGINT]
        WHEN gen_d(ph, 10) % 100 < 85 THEN 1000 + gen_d(ph, 11) % 60000
        ELSE 196608 + gen_d(ph, 11) % 20000 END)::BIGINT AS prb_asn,
  {country_code}[c] AS prb_country
FROM with_rtts
)sql",
      fmt::arg("head", head), fmt::arg("start", shape.start_epoch_seconds), fmt::arg("id_block", id_block),
      fmt::arg("v6_base", v6_base), fmt::arg("rtt_items", rtt_items),
      fmt::arg("public_octets", ListLiteral(public_octets, [](int v) { return fmt::format("{}", v); })),
      fmt::arg("num_public_octets", public_octets.size()),
      fmt::arg("packets", target_list([](const TargetSpec& t) { return fmt::format("{}", t.packets); })),
      fmt::arg("target_v4", target_list([](const TargetSpec& t) { return Quoted(t.v4); })),
      fmt::arg("target_v6", target_list([](const TargetSpec& t) { return Quoted(t.v6); })),
      fmt::arg("target_proto", target_list([](const TargetSpec& t) { return Quoted(t.proto); })),
      fmt::arg("target_size", target_list([](const TargetSpec& t) { return fmt::format("{}", t.size); })),
      fmt::arg("target_ttl", target_list([](const TargetSpec& t) { return fmt::format("{}", t.initial_ttl); })),
      fmt::arg("country_code", country_list([](const Country& c) { return Quoted(c.code); })),
      fmt::arg("country_lat", country_list([](const Country& c) { return fmt::format("{:.1f}", c.lat); })),
      fmt::arg("country_lon", country_list([](const Country& c) { return fmt::format("{:.1f}", c.lon); })),
      fmt::arg("country_dlat", country_list([](const Country& c) { return fmt::format("{:.1f}", c.dlat); })),
      fmt::arg("country_dlon", country_list([](const Country& c) { return fmt::format("{:.1f}", c.dlon); })),
      fmt::arg("country_rtt", country_list([](const Country& c) { return fmt::format("{:.1f}", c.rtt_ms); })),
      fmt::arg("country_asns", country_list([](const Country& c) {
                 return fmt::format("[{}, {}, {}]", c.asn[0], c.asn[1], c.asn[2]);
               })));
}

// The synthetic shape's measurements: a lognormal number per probe, at
// jittered slots over 30 days, each to a random target (docs/dataset.md).
std::string SyntheticFileSql(const GenerateShape& shape, int file) {
  const std::string head = fmt::format(
      R"sql(
WITH keys AS (
  SELECT i, cnt, unnest(range(((({file} - off) % {files}) + {files}) % {files}, cnt, {files})) AS j
  FROM gen_probes
), slots AS (
  -- one measurement in 25 shares the previous one's slot: exact timestamp ties within a probe
  SELECT i, j, cnt, j - CASE WHEN j > 0 AND gen_d(gen_row_hash(i, j), 1) % 25 = 0 THEN 1 ELSE 0 END AS slot
  FROM keys
), timed AS (
  -- slot s of a probe with cnt measurements lies in [s, s+1) * period/cnt: a per-probe phase plus jitter
  SELECT i, j,
         floor({period}.0 / cnt * (slot + 0.25 + 0.5 * gen_u01(gen_d(gen_probe_hash(i), 4))
                                   + 0.4 * (gen_u01(gen_d(gen_row_hash(i, slot), 2)) - 0.5)))::BIGINT AS t
  FROM slots
  ORDER BY t, i, j
), hashed AS (
  SELECT i, j, t, gen_probe_hash(i) AS ph, gen_row_hash(i, j) AS rh FROM timed
), probe AS (
  SELECT i, j, t, ph, rh,
         (gen_d(ph, 7) % 100 + 1)::BIGINT AS pick,
         gen_d(ph, 5) % 100 < 40 AS has_v6,
         gen_d(ph, 6) % 100 AS flaky,
         (gen_d(rh, 3) % {num_targets})::BIGINT AS k
  FROM hashed
), probe2 AS (
  SELECT *, {country_pick}[pick] AS c, has_v6 AND gen_d(rh, 4) % 2 = 0 AS v6
  FROM probe
)sql",
      fmt::arg("file", file), fmt::arg("files", shape.files), fmt::arg("period", kPeriodSeconds),
      fmt::arg("num_targets", kNumTargets), fmt::arg("country_pick", CountryPickList()));
  return MeasurementColumnsSql(shape, head, SyntheticTargets(), 1011);
}

// The RIPE Atlas shape's measurements of hour `file`: every stream (probe,
// measurement id) once per interval, at the stream's own phase plus a few
// seconds of jitter; measurement g (cycle g / S, stream g mod S) exists for
// g < measurements.
std::string RipeFileSql(const GenerateShape& shape, int file) {
  const int64_t per_hour = 3600 / shape.interval_seconds;
  const int64_t jitter = std::clamp<int64_t>(shape.interval_seconds / 4, 1, 10);
  const int v4_targets = RipeV4Targets(shape.measurement_ids);
  const std::string head = fmt::format(
      R"sql(
WITH cycles AS (
  SELECT k AS cyc FROM range({k0}, {k1}) t(k)
), streamed AS (
  SELECT s.i, s.m, c.cyc FROM cycles c, gen_streams s WHERE c.cyc * {streams} + s.s < {measurements}
), timed AS (
  -- a stream's results come every interval at its own phase, plus up to {jitter} s of jitter
  SELECT i, m, cyc,
         (cyc * {interval} + floor(({interval} - {jitter}) * gen_u01(gen_d(hash(hash({seed}::UBIGINT, i, m, -1)), 1)))
          + hash(hash({seed}::UBIGINT, i, m, cyc)) % {jitter})::BIGINT AS t
  FROM streamed
  ORDER BY t, i, m
), hashed AS (
  SELECT i, t, m, gen_probe_hash(i) AS ph, hash(hash(hash({seed}::UBIGINT, i, m, cyc))) AS rh FROM timed
), probe2 AS (
  SELECT i, t, ph, rh,
         gen_d(ph, 6) % 100 AS flaky,
         (CASE WHEN m < {v4_targets} THEN m ELSE m - {v4_targets} END)::BIGINT AS k,
         m >= {v4_targets} AS v6,
         {country_pick}[(gen_d(ph, 7) % 100 + 1)::BIGINT] AS c
  FROM hashed
)sql",
      fmt::arg("k0", static_cast<int64_t>(file) * per_hour),
      fmt::arg("k1", (static_cast<int64_t>(file) + 1) * per_hour), fmt::arg("streams", shape.streams),
      fmt::arg("measurements", shape.measurements), fmt::arg("interval", shape.interval_seconds),
      fmt::arg("jitter", jitter), fmt::arg("seed", shape.seed), fmt::arg("v4_targets", v4_targets),
      fmt::arg("country_pick", CountryPickList()));
  return MeasurementColumnsSql(shape, head, RipeTargets(shape.measurement_ids), 2001);
}

}  // namespace

std::string GenerateFileSql(const GenerateShape& shape, int file) {
  return shape.ripe ? RipeFileSql(shape, file) : SyntheticFileSql(shape, file);
}

std::string GenerateRipePingJsonSql(const GenerateShape& shape, int file) {
  const std::vector<TargetSpec> targets = shape.ripe ? RipeTargets(shape.measurement_ids) : SyntheticTargets();
  const int v6_base = shape.ripe ? 2001 : 1011;
  // A number as firmware `fw` writes it: a JSON string before 4460.
  const auto num = [](const std::string& x) {
    return fmt::format("CASE WHEN fw < 4460 THEN to_json(CAST({0} AS VARCHAR)) ELSE to_json({0}) END", x);
  };
  return fmt::format(
      R"sql(
WITH g AS (
{base}
), h AS (
  SELECT *, hash(hash({seed}::UBIGINT, prb_id, 7001)) AS fh,
         hash(hash({seed}::UBIGINT, prb_id, epoch("timestamp")::BIGINT, 7002)) AS mh
  FROM g
), f AS (
  SELECT *,
         CASE WHEN fh % 100 < 70 THEN 5080 WHEN fh % 100 < 85 THEN 4790 WHEN fh % 100 < 94 THEN 4480
              WHEN fh % 100 < 99 THEN 4430 ELSE 1 END AS fw,
         epoch("timestamp")::BIGINT AS ts,
         {names}[(msm_id - CASE WHEN af = 6 THEN {v6_base} ELSE 1001 END + 1)::BIGINT] AS target_name,
         rcvd > 0 AND mh % 200 = 0 AS has_dup
  FROM h
), res AS (
  SELECT *,
         '[' || array_to_string(list_concat(
           list_transform(rtts, v -> CASE WHEN fw < 4460 AND fh % 2 = 0 THEN '{{"rtt":"' || CAST(v AS VARCHAR) || '"}}'
                                          ELSE '{{"rtt":' || CAST(v AS VARCHAR) || '}}' END),
           CASE WHEN has_dup THEN ['{{"dup":1,"rtt":' || CAST(round(rtts[1] + 0.013, 3) AS VARCHAR) || '}}']
                ELSE [] END,
           list_transform(range(sent - rcvd), i -> '{{"x":"*"}}')), ',') || ']' AS result_text
  FROM f
)
SELECT
  fw,
  CASE WHEN fw >= 5000 THEN '2.6.2' END AS mver,
  CASE WHEN fw >= 4540 THEN (mh % 97)::BIGINT END AS lts,
  CASE WHEN fw >= 4460 THEN target_name END AS dst_name,
  CASE WHEN fw >= 4460 THEN af END AS af,
  CASE WHEN fw >= 4460 THEN dst_addr END AS dst_addr,
  CASE WHEN fw < 4540 THEN dst_addr END AS addr,
  CASE WHEN fw < 4540 THEN target_name END AS name,
  CASE WHEN fw >= 4460 THEN src_addr END AS src_addr,
  CASE WHEN fw >= 4400 AND fw < 4460 THEN src_addr END AS srcaddr,
  CASE WHEN fw >= 4400 AND fw < 4460 THEN 'ICMP' || af END AS mode,
  CASE WHEN fw >= 4460 THEN 'ICMP' END AS proto,
  CASE WHEN rcvd > 0 AND fw >= 4400 THEN {ttl} END AS ttl,
  {size} AS size,
  CASE WHEN fw >= 4400 THEN CAST(result_text AS JSON) END AS result,
  {dup} AS dup,
  {rcvd} AS rcvd,
  {sent} AS sent,
  {min} AS "min",
  {max} AS "max",
  {avg} AS "avg",
  msm_id,
  prb_id,
  ts AS "timestamp",
  CASE WHEN fw >= 4460 THEN 'Ping' END AS msm_name,
  src_addr AS "from",
  CASE WHEN fw >= 4460 THEN 'ping' END AS "type",
  CASE WHEN fw >= 4610 THEN msm_id END AS group_id,
  CASE WHEN fw >= 4610 THEN {interval} END AS step,
  ts + 30 + (mh % 90)::BIGINT AS stored_timestamp
FROM res
)sql",
      fmt::arg("base", GenerateFileSql(shape, file)), fmt::arg("seed", shape.seed),
      fmt::arg("names", ListLiteral(targets, [](const TargetSpec& t) { return Quoted(t.name); })),
      fmt::arg("v6_base", v6_base), fmt::arg("interval", shape.ripe ? shape.interval_seconds : 240),
      fmt::arg("ttl", num("ttl")), fmt::arg("size", num("size")),
      fmt::arg("dup", num("CASE WHEN has_dup THEN 1 ELSE 0 END")), fmt::arg("rcvd", num("rcvd")),
      fmt::arg("sent", num("sent")), fmt::arg("min", num("COALESCE(\"min\", -1)")),
      fmt::arg("max", num("COALESCE(\"max\", -1)")), fmt::arg("avg", num("COALESCE(\"avg\", -1)")));
}

std::string GenerateTeardownSql() {
  return "DROP TABLE IF EXISTS gen_probes; DROP TABLE IF EXISTS gen_streams; DROP MACRO IF EXISTS gen_d; DROP MACRO IF "
         "EXISTS gen_row_hash; "
         "DROP MACRO IF EXISTS gen_probe_hash; DROP MACRO IF EXISTS gen_gauss; DROP MACRO IF EXISTS gen_u26; "
         "DROP MACRO IF EXISTS gen_u01;";
}

}  // namespace proberows
