// `revos`: the operator CLI's entry script (bin/revos.mjs spawns this file or dist/cli.js); the CLI
// itself is in cli/ (run-cli.ts and a file per command group). Importing this file runs nothing.
import { pathToFileURL } from 'node:url';
import { runCli } from './cli/run-cli.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
