/**
 * Runs the vendor stand-in as its own process (benchmarks, cross-process tests):
 *
 *   node --import tsx test/support/vendor-standin-main.ts [port]
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:<port>"}` once listening; port 0 (the default) picks
 * a free one. SIGTERM or SIGINT closes the server (ending hanging requests) and exits 0.
 */
import { startVendorStandin } from './vendor-standin.js';

const portArg = process.argv[2] ?? '0';
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`vendor-standin: port must be an integer 0..65535, got ${JSON.stringify(portArg)}`);
  process.exit(2);
}

const standin = await startVendorStandin({ port });
process.stdout.write(`${JSON.stringify({ url: standin.url })}\n`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  standin.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('vendor-standin: close failed', err);
      process.exit(1);
    },
  );
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
