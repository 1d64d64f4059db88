// The Polars row of the end-to-end benchmark (docs/BENCHMARKS.md): what a
// dataframe user would write to get one row per probe with its
// measurements in time order, collected in memory (no encoding, no
// writing):
//
//   scan_parquet(GLOB).group_by(KEY).agg(all().sort_by(ORDER)).collect()
//
//   node bench/tools/polars_group.js GLOB [KEY] [ORDER] [--streaming]
//
// Prints the row count and the collect time. Polars comes from
// bench/tools/setup_polars.sh (NODE_PATH=bench/polars/node_modules).
"use strict";
const pl = require("nodejs-polars");

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const streaming = process.argv.includes("--streaming");
const [glob, key = "prb_id", order = "timestamp"] = args;
if (!glob) {
  console.error("usage: polars_group.js GLOB [KEY] [ORDER] [--streaming]");
  process.exit(2);
}
const t0 = process.hrtime.bigint();
const df = pl
  .scanParquet(glob)
  .groupBy(key)
  .agg(pl.all().sortBy(order))
  .collectSync({ streaming });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`polars_group: rows=${df.height} columns=${df.width} seconds=${seconds.toFixed(2)} streaming=${streaming}`);
