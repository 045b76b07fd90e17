/**
 * The worker's small HTTP server on HEALTH_PORT: GET /healthz (open: probes carry no credentials,
 * and it says only whether Redis and PostgreSQL answer) and GET /metrics (Prometheus, behind
 * METRICS_TOKEN when set: the metrics name every workflow, its volumes and the vendors' error rates).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { WorkerMetrics } from './metrics.js';

export interface HealthServerOptions {
  port: number;
  metrics: WorkerMetrics;
  /** Bearer token /metrics asks for; absent: open (development). */
  metricsToken: string | undefined;
  /** Resolves with the health body, rejects when a dependency is down (503). */
  check: () => Promise<Record<string, unknown>>;
}

export async function startHealthServer({ port, metrics, metricsToken, check }: HealthServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      if (metricsToken !== undefined && !bearerMatches(req, metricsToken)) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ error: 'unauthorized' }));
        return;
      }
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(error instanceof Error ? error.message : 'metrics failed'),
      );
      return;
    }
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    check().then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...body }));
      },
      (error: unknown) => {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable', error: error instanceof Error ? error.message : 'unknown' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

/** `Authorization: Bearer <token>` equal to `token`, compared in constant time (hashing makes the lengths equal). */
function bearerMatches(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return false;
  return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), createHash('sha256').update(token).digest());
}
