/**
 * Runs the Postmark stand-in as its own process (`npm start` without POSTMARK_BASE_URL):
 *
 *   node --import tsx test/support/postmark-standin-main.ts [port]
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:<port>","server_token":"…"}` once listening, then one
 * line per email it accepts (`{"postmark":"sent","MessageID","To","Subject"}`: a local simulation, so
 * the developer sees what would have gone out). SIGTERM or SIGINT closes it and exits 0.
 */
import { POSTMARK_TEST_TOKEN, startPostmarkStandin } from './postmark-standin.js';

const portArg = process.argv[2] ?? '0';
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`postmark-standin: port must be an integer 0..65535, got ${JSON.stringify(portArg)}`);
  process.exit(2);
}

const standin = await startPostmarkStandin({
  port,
  onEmail: (e) => process.stdout.write(`${JSON.stringify({ postmark: 'sent', MessageID: e.MessageID, To: e.To, Subject: e.Subject })}\n`),
});
process.stdout.write(`${JSON.stringify({ url: standin.url, server_token: POSTMARK_TEST_TOKEN })}\n`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  standin.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('postmark-standin: close failed', err);
      process.exit(1);
    },
  );
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
