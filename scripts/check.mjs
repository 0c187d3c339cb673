#!/usr/bin/env node
// A workspace's `check`: type-checks it and lints it with ESLint's type-aware rules on the same
// TypeScript program. `tsc --noEmit` and `eslint .` each built that program (every file of the
// package and the .d.ts of everything it imports) on its own; one program fully checked by the
// compiler also answers the rules' type queries from the checker's cache. About 40 % less CPU.
//   node ../../scripts/check.mjs                        tsconfig.json, lints the package
//   node ../../scripts/check.mjs --project a.json --project b.json src test
//   ... --fix                                           writes ESLint's fixes (npm run check -w <package> -- --fix)
// Exits 1 on any compiler diagnostic or lint error (warnings are printed, as `eslint` does).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ESLint } from 'eslint';
import ts from 'typescript';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { project: { type: 'string', multiple: true, default: ['tsconfig.json'] }, fix: { type: 'boolean', default: false } },
});
const cwd = process.cwd();
const color = process.stdout.isTTY || Boolean(process.env.FORCE_COLOR);
const formatHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => cwd, getNewLine: () => '\n' };

/** One program per tsconfig, as `tsc -p <config> --noEmit` builds it; the compiler's diagnostics. */
function compile(configPath) {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve(cwd, configPath),
    { noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
  return { program, diagnostics: [...ts.getConfigFileParsingDiagnostics(config), ...ts.getPreEmitDiagnostics(program)] };
}

const compiled = values.project.map(compile);
const diagnostics = compiled.flatMap((c) => c.diagnostics);
if (diagnostics.length > 0) {
  const format = color ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, formatHost));
}

// Every linted file must belong to one of the programs (as with the project service, which would
// have found the same tsconfig.json for it). Fixing lints with the project service instead:
// ESLint re-lints a fixed text up to ten times, and a given program still holds the text as it
// was on disk, so later fixes would land at the old positions (typescript-eslint#3834).
const eslint = new ESLint({
  cwd,
  fix: values.fix,
  overrideConfig: values.fix ? [] : { languageOptions: { parserOptions: { projectService: false, programs: compiled.map((c) => c.program) } } },
});
const results = await eslint.lintFiles(positionals.length > 0 ? positionals : ['.']);
if (values.fix) await ESLint.outputFixes(results);
const report = await (await eslint.loadFormatter('stylish')).format(results);
if (report) process.stdout.write(report.endsWith('\n') ? report : `${report}\n`);

const lintErrors = results.reduce((n, r) => n + r.errorCount, 0);
if (diagnostics.length > 0 || lintErrors > 0) {
  process.stderr.write(`check failed: ${diagnostics.length} compiler diagnostic(s), ${lintErrors} lint error(s)\n`);
  process.exit(1);
}
