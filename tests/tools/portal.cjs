// Opens every page of a rendered portal in one headless Chromium (puppeteer-core on the
// system's chromium), several pages at a time, at each width, and reports what a reader and
// axe-core see: width against the window, <h1> count, title, height, axe-core violations,
// links whose fragment names no element of their target page, the links of the API
// reference's navigation column, and console errors (a script the CSP blocks shows here).
// Then runs the searches asked for on the reference's pages and reports what each found.
//
// Usage: node portal.cjs CONFIG.json, where CONFIG is
//   {"files": [...], "widths": [1280, 375], "height": 900, "parallel": 4,
//    "searches": [{"file": "...", "query": "..."}]}
// Prints one JSON object per page and width:
//   {"file", "width", "title", "h1", "scrollWidth", "innerWidth", "scrollHeight",
//    "violations": [{"id", "impact", "help", "nodes"}], "deadLinks": [href], "nav": [href],
//    "navTags": [tag], "searchShown": bool,
//    "errors": [text]}
// and one per search: {"search": query, "file", "status", "results": [href]}.
// Environment: PARTNERCTL_NODE_MODULES (axe-core, puppeteer-core), CHROMIUM.
const path = require("node:path");
const fs = require("node:fs");
const { pathToFileURL, fileURLToPath } = require("node:url");
const modules = process.env.PARTNERCTL_NODE_MODULES || "";
const need = (name) => require(modules ? path.join(modules, name) : name);
const puppeteer = need("puppeteer-core");
const axePath = require.resolve(modules ? path.join(modules, "axe-core") : "axe-core").replace(/axe\.js$/, "axe.min.js");

// The ids of a page, read from its file: what a fragment link to it can reach.
const idsOf = new Map();
function ids(file) {
  if (!idsOf.has(file)) {
    let set = null;
    try {
      const html = fs.readFileSync(file, "utf8");
      set = new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]));
    } catch (_) {}
    idsOf.set(file, set);
  }
  return idsOf.get(file);
}

async function visit(browser, file, width, height) {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.setViewport({ width, height });
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    // What the page shows under its own CSP, before axe is injected past it.
    const seen = await page.evaluate(() => ({
      title: document.title,
      h1: document.querySelectorAll("h1").length,
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      scrollHeight: document.documentElement.scrollHeight,
      links: [...document.querySelectorAll("a[href]")].map((a) => a.href).filter((h) => h.includes("#")),
      nav: [...document.querySelectorAll("nav.sidebar a[href]")].map((a) => a.getAttribute("href")),
      navTags: [...document.querySelectorAll("nav.sidebar summary")].map((s) => s.firstChild.textContent.trim()),
      searchShown: !!document.getElementById("search") && !document.getElementById("search").hidden,
    }));
    await page.setBypassCSP(true);
    await page.reload({ waitUntil: "load" });
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.html.slice(0, 300)),
      }));
    });
    const deadLinks = [];
    for (const href of new Set(seen.links)) {
      const url = new URL(href);
      if (url.protocol !== "file:") continue;
      const target = fileURLToPath(url);
      const fragment = decodeURIComponent(url.hash.slice(1));
      const have = ids(target);
      if (!have || (fragment && !have.has(fragment))) deadLinks.push(href.replace(/^.*\/docs\//, ""));
    }
    const { links, ...rest } = seen;
    return { file, width, ...rest, violations, deadLinks, errors };
  } finally {
    await page.close();
  }
}

async function search(browser, file, query) {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
    await page.type("#search-input", query);
    const found = await page.evaluate(() => ({
      status: document.getElementById("search-status").textContent,
      results: [...document.querySelectorAll("#search-results a")].map((a) => a.getAttribute("href")),
    }));
    return { search: query, file, ...found };
  } finally {
    await page.close();
  }
}

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const widths = config.widths || [1280, 375];
  const height = config.height || 900;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--allow-file-access-from-files"],
  });
  try {
    const jobs = [];
    for (const file of config.files) for (const width of widths) jobs.push(() => visit(browser, file, width, height));
    for (const s of config.searches || []) jobs.push(() => search(browser, s.file, s.query));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        console.log(JSON.stringify(await job()));
      }
    };
    await Promise.all(Array.from({ length: config.parallel || 4 }, worker));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
