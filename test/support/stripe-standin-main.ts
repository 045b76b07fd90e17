/**
 * Runs the Stripe stand-in as its own process (`npm start` without STRIPE_BASE_URL):
 *
 *   node --import tsx test/support/stripe-standin-main.ts [port]
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:<port>","secret_key":"sk_test_…"}` once listening;
 * port 0 (the default) picks a free one. SIGTERM or SIGINT closes the server and exits 0.
 */
import { startStripeStandin } from './stripe-standin.js';

const portArg = process.argv[2] ?? '0';
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`stripe-standin: port must be an integer 0..65535, got ${JSON.stringify(portArg)}`);
  process.exit(2);
}

// The worker's development default (apps/worker/src/env.ts), so a worker started by hand works too.
const standin = await startStripeStandin({ port, secretKey: 'sk_test_local_standin' });
process.stdout.write(`${JSON.stringify({ url: standin.url, secret_key: standin.secretKey })}\n`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  standin.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('stripe-standin: close failed', err);
      process.exit(1);
    },
  );
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
