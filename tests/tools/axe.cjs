// Opens HTML pages in headless Chromium (puppeteer-core on the system's chromium) and runs
// axe-core on each, as a partner developer's browser would show them: from file://, at a
// desktop and a narrow (phone) width. Prints one JSON object per page and width:
//   {"file", "width", "violations": [{"id", "impact", "help", "nodes": [html...]}],
//    "overflow": bool, "errors": [console errors], "title", "scrollHeight", "innerHeight"}
// and exits 1 when any page has a violation, overflows the narrow width, or logs an error.
//
// Usage: node axe.cjs [--widths 1280,375] [--height 900] [--screenshots DIR] FILE...
// Environment: PARTNERCTL_NODE_MODULES (the folder holding axe-core and puppeteer-core),
// CHROMIUM (the browser; default /usr/bin/chromium).
const path = require("node:path");
const fs = require("node:fs");
const modules = process.env.PARTNERCTL_NODE_MODULES || "";
const need = (name) => require(modules ? path.join(modules, name) : name);
const puppeteer = need("puppeteer-core");
const axePath = require.resolve(modules ? path.join(modules, "axe-core") : "axe-core").replace(/axe\.js$/, "axe.min.js");

async function main() {
  const args = process.argv.slice(2);
  let widths = [1280, 375];
  let shots = null;
  let height = 900;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--widths") widths = args[++i].split(",").map(Number);
    else if (args[i] === "--screenshots") shots = args[++i];
    else if (args[i] === "--height") height = Number(args[++i]);
    else files.push(args[i]);
  }
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--allow-file-access-from-files"],
  });
  let failed = false;
  try {
    for (const file of files) {
      for (const width of widths) {
        const page = await browser.newPage();
        const errors = [];
        page.on("console", (m) => {
          if (m.type() === "error") errors.push(m.text());
        });
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.setViewport({ width, height });
        // The pages forbid every script (their CSP); axe is injected past it, the page's own
        // content still runs under it.
        await page.setBypassCSP(true);
        await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
        await page.addScriptTag({ path: axePath });
        const result = await page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ["violations"] });
          return r.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.html),
          }));
        });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
        const title = await page.title();
        const [scrollHeight, innerHeight] = await page.evaluate(() => [
          document.documentElement.scrollHeight,
          window.innerHeight,
        ]);
        if (shots) {
          fs.mkdirSync(shots, { recursive: true });
          const name = path.basename(file).replace(/\W+/g, "_") + "-" + width + ".png";
          await page.screenshot({ path: path.join(shots, name), fullPage: true });
        }
        const narrow = width === Math.min(...widths);
        const bad = result.length > 0 || errors.length > 0 || (narrow && overflow);
        failed = failed || bad;
        console.log(JSON.stringify({ file, width, title, violations: result, overflow, errors, scrollHeight, innerHeight }));
        await page.close();
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
