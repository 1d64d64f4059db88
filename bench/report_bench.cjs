#!/usr/bin/env node
// How heavy `proberows report`'s page is and how fast it opens in Debian's
// headless chromium (issue 19's targets: under 2 MB, open in under 2 s for a
// 20M dataset). Writes the report of an existing build, then opens it
// --runs times, each in a new browser (cold: no cache, a fresh renderer), and
// prints per run:
//   ready_ms   navigation start -> the page's ready state (every chart drawn),
//              as the page's own performance.now() reports it;
//   goto_ms    page.goto() -> ready, as the driver sees it;
//   cold_ms    launching chromium -> ready (what a person waits for, minus
//              their own browser being open already);
//   cpu_ms     CPU time chromium's processes spent from page.goto() to ready
//              (renderer, GPU, browser; DevTools' SystemInfo.getProcessInfo):
//              what the page costs whatever else the machine runs, and so
//              the figure to quote when the machine is shared;
// then the medians. The figures go into docs/BENCHMARKS.md with this command:
//
//   node bench/report_bench.cjs --binary build/release/proberows \
//       --dataset /work/benchdata/issue-19/new20m --runs 5
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const repo = path.resolve(__dirname, "..");
const binary = path.resolve(arg("--binary", path.join(repo, "build/release/proberows")));
const dataset = arg("--dataset", null);
const runs = Number(arg("--runs", "5"));
const chromium = arg("--chromium", "/usr/bin/chromium");
const out = path.resolve(arg("--out", path.join(os.tmpdir(), "proberows_report_bench.html")));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  if (!dataset) throw new Error("usage: report_bench.cjs --dataset DIR [--binary B] [--runs N] [--out FILE]");
  const { chromium: pw } = require(path.join(repo, "third_party/node_modules/playwright-core"));
  const t0 = process.hrtime.bigint();
  execFileSync(binary, ["report", dataset, "-o", out], { stdio: ["ignore", "pipe", "inherit"] });
  const write_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const bytes = fs.statSync(out).size;
  const meta = JSON.parse(fs.readFileSync(path.join(dataset, "proberows.json")));
  const rows = meta.splits.train.rows + meta.splits.test.rows;
  console.log(`dataset ${dataset}: ${rows} rows, ${meta.features.length} features`);
  console.log(`report ${out}: ${bytes} bytes (${(bytes / 1048576).toFixed(2)} MiB), written in ${write_ms.toFixed(0)} ms`);
  const results = [];
  for (let i = 0; i < runs; ++i) {
    const c0 = Date.now();
    const browser = await pw.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const cdp = await browser.newBrowserCDPSession();
      const cpu = async () => {
        const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
        const by = {};
        for (const p of processInfo) by[`${p.type}:${p.id}`] = p.cpuTime;
        return by;
      };
      const cpu0 = await cpu();
      const g0 = Date.now();
      await page.goto("file://" + out);
      await page.waitForSelector('#status[data-state="ready"]', { state: "attached", timeout: 60000 });
      const goto_ms = Date.now() - g0;
      const cpu1 = await cpu();
      let cpu_s = 0;
      const per_type = {};
      for (const [k, t] of Object.entries(cpu1)) {
        const d = t - (cpu0[k] || 0);
        cpu_s += d;
        const type = k.split(":")[0];
        per_type[type] = (per_type[type] || 0) + d;
      }
      const cpu_ms = Math.round(cpu_s * 1000);
      const cpu_detail = Object.entries(per_type).map(([t, d]) => `${t} ${Math.round(d * 1000)}`).join(", ");
      const cold_ms = Date.now() - c0;
      const ready_ms = Number(await page.$eval("#status", (e) => e.dataset.readyMs));
      const charts = Number(await page.$eval("#status", (e) => e.dataset.charts));
      if (errors.length) throw new Error("page errors: " + errors.join("; "));
      results.push({ ready_ms, goto_ms, cold_ms, cpu_ms });
      console.log(`run ${i + 1}: ready_ms ${ready_ms}, goto_ms ${goto_ms}, cold_ms ${cold_ms}, ` +
                  `cpu_ms ${cpu_ms} (${cpu_detail}), charts ${charts}`);
    } finally {
      await browser.close();
    }
  }
  const load = os.loadavg().map((x) => x.toFixed(1)).join(" ");
  console.log(`median of ${runs}: ready_ms ${median(results.map((r) => r.ready_ms))}, ` +
              `goto_ms ${median(results.map((r) => r.goto_ms))}, cold_ms ${median(results.map((r) => r.cold_ms))}, ` +
              `cpu_ms ${median(results.map((r) => r.cpu_ms))}` +
              ` (load average ${load})`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
