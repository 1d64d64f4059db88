#!/usr/bin/env node
// `proberows report` in a real browser: Debian's chromium, headless, driven by
// playwright-core (third_party/node_modules, scripts/setup.sh). Builds a small
// generated dataset, writes its report, opens it in a light and a dark
// laptop-sized window and checks that
//   * the page reaches its ready state with no console error or page error
//     and no request leaving the file (self-contained);
//   * every chart rendered (one canvas per chart card, each with drawn
//     pixels);
//   * the figures in the page are the metadata's: every split's counts and
//     row sizes (proberows.json) and every feature's value count
//     (dataset_info.json's TFDS statistics);
//   * the theme toggle switches the page to dark and light;
// and keeps a screenshot of each theme in the work folder.
//
//   node tests/report_browser_test.cjs --binary build/release/proberows --work build/release/report_browser_test
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const repo = path.resolve(__dirname, "..");
const binary = path.resolve(arg("--binary", path.join(repo, "build/release/proberows")));
const work = path.resolve(arg("--work", path.join(repo, "build/release/report_browser_test")));
const chromium = arg("--chromium", "/usr/bin/chromium");

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    console.error("FAILED: " + what);
  }
}

async function main() {
  if (!fs.existsSync(chromium)) throw new Error(chromium + " is missing: run scripts/setup.sh (Debian package chromium)");
  const { chromium: pw } = require(path.join(repo, "third_party/node_modules/playwright-core"));
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const run = (...a) => execFileSync(binary, a, { stdio: ["ignore", "pipe", "inherit"] }).toString();
  run("generate", "-o", path.join(work, "data"), "-n", "30000", "-p", "600");
  run("build", "-i", path.join(work, "data"), "-o", path.join(work, "out"), "--static-columns",
      "prb_lat,prb_lon,prb_asn,prb_country", "--no-progress", "-j", "2", "-m", "512MB");
  const page_file = path.join(work, "report.html");
  run("report", path.join(work, "out"), "-o", page_file);
  const meta = JSON.parse(fs.readFileSync(path.join(work, "out/proberows.json")));
  const info = JSON.parse(fs.readFileSync(path.join(work, "out/dataset_info.json")));
  const html = fs.readFileSync(page_file, "utf8");
  check(!/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), "the page loads nothing from the network");

  const browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const scheme of ["light", "dark"]) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const problems = [];
      page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.type() + ": " + m.text()); });
      page.on("pageerror", (e) => problems.push("page error: " + e.message));
      page.on("request", (r) => { if (!r.url().startsWith("file:")) problems.push("request: " + r.url()); });
      const t0 = Date.now();
      await page.goto("file://" + page_file);
      await page.waitForSelector('#status[data-state="ready"]', { state: "attached", timeout: 15000 });
      const ms = Date.now() - t0;
      console.log(`${scheme}: ready in ${ms} ms`);
      check(problems.length === 0, `${scheme}: no console errors, page errors or requests (${problems.join("; ")})`);

      // Charts: one canvas per card, each with drawn (non-transparent) pixels.
      const charts = await page.evaluate(() => {
        const out = [];
        for (const card of document.querySelectorAll("[data-chart]")) {
          const c = card.querySelector("canvas");
          let drawn = 0;
          if (c && c.width > 0 && c.height > 0) {
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4 * 7) if (d[i] !== 0) ++drawn;
          }
          out.push({ name: card.dataset.chart, canvas: !!c, drawn });
        }
        return { cards: out, status: Number(document.getElementById("status").dataset.charts),
                 canvases: document.querySelectorAll("canvas").length };
      });
      const expected = 4 + meta.features.length;  // measurements/row, row size, span, time coverage + one per feature
      check(charts.cards.length === expected, `${scheme}: ${expected} chart cards (got ${charts.cards.length})`);
      check(charts.canvases === expected && charts.status === expected,
            `${scheme}: ${expected} canvases and charts (got ${charts.canvases}, ${charts.status})`);
      for (const c of charts.cards) check(c.canvas && c.drawn > 50, `${scheme}: chart '${c.name}' drew (${c.drawn} pixels)`);

      // The page's figures against the metadata.
      const cell = (sel) => page.$eval(sel, (e) => e.textContent);
      const int = (t) => Number(String(t).replace(/[^0-9.-]/g, ""));
      for (const split of ["train", "test"]) {
        const s = meta.splits[split];
        const want = {
          rows: s.rows, measurements: s.measurements, meas_min: s.measurements_per_row.min,
          meas_max: s.measurements_per_row.max, bytes_min: s.row_bytes.min, bytes_max: s.row_bytes.max,
          shards: s.shards.length,
        };
        for (const [field, value] of Object.entries(want)) {
          const got = int(await cell(`td[data-split="${split}"][data-field="${field}"]`));
          check(got === value, `${scheme}: ${split} ${field} shows ${got}, metadata ${value}`);
        }
        const stats = info.splits.find((x) => x.name === split).statistics;
        for (const f of stats.features) {
          const body = f.numStats || f.stringStats;
          const want_values = Number(body.commonStats.totNumValues || 0);
          const got = int(await cell(`td[data-feature="${f.name}"][data-split="${split}"][data-field="values"]`));
          check(got === want_values, `${scheme}: ${split} ${f.name} values shows ${got}, statistics ${want_values}`);
        }
      }
      const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const luminance = (rgb) => rgb.match(/\d+/g).slice(0, 3).reduce((a, b) => a + Number(b), 0);
      check(scheme === "dark" ? luminance(await bg()) < 150 : luminance(await bg()) > 600,
            `${scheme}: the page follows prefers-color-scheme (${await bg()})`);
      await page.screenshot({ path: path.join(work, `report-${scheme}.png`), fullPage: false });
      await page.screenshot({ path: path.join(work, `report-${scheme}-full.png`), fullPage: true });

      // The toggle: auto -> dark -> light.
      await page.click("#theme");
      check(luminance(await bg()) < 150, `${scheme}: the toggle's first click selects the dark theme`);
      await page.click("#theme");
      check(luminance(await bg()) > 600, `${scheme}: the second click selects the light theme`);
      check(problems.length === 0, `${scheme}: no errors after toggling (${problems.join("; ")})`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
}

main().then(
  () => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  },
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  });
