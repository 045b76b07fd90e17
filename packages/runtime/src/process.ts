import type { Logger } from 'pino';
import { z } from 'zod';

/** Bad settings: the process stops with each variable's name and rule, exit code 78 (EX_CONFIG). */
export class InvalidConfigurationError extends Error {
  override name = 'InvalidConfigurationError';
}

/** Parses an app's environment against its env.ts schema; throws listing every bad variable with its rule. */
export function parseSettings<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
  throw new InvalidConfigurationError(`invalid configuration\n  ${lines.join('\n  ')}`);
}

/** A URL setting whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). */
export function urlSetting(protocols: string[]) {
  return z.string().refine((s) => {
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')}// URL`);
}

/** Development-only PHI keys: every developer's machine has the same ones, so they protect nothing. */
export const DEV_PHI_TOKEN_KEY = 'dev-only-phi-token-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const DEV_PHI_SEAL_KEY = 'dev-only-phi-seal-key-9876543210zyxwvutsrqponmlkjihgfedcba';

/** The env.ts rule shared by worker and producer: shared development keys never reach production. */
export function refuseDevelopmentKeys(
  env: { NODE_ENV?: string | undefined; PHI_TOKEN_KEY: string; PHI_SEAL_KEY: string },
  ctx: z.RefinementCtx,
): void {
  if (env.NODE_ENV !== 'production') return;
  for (const key of ['PHI_TOKEN_KEY', 'PHI_SEAL_KEY'] as const) {
    if (env[key] === DEV_PHI_TOKEN_KEY || env[key] === DEV_PHI_SEAL_KEY) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'the development default is refused when NODE_ENV=production' });
    }
  }
}

export interface RunningProcess {
  log: Logger;
  close(): Promise<void>;
}

/**
 * The life of a fleet process: start it, then on the first SIGTERM or SIGINT
 * close it (the app bounds its own drain) and exit 0. Bad configuration exits
 * 78; a failed start or an unhandled rejection exits 1, logged.
 */
export function runMain(service: string, start: () => Promise<RunningProcess>): void {
  start().then(
    (running) => {
      let signalled = false;
      const stop = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        running.log.info({ signal }, 'shutting down');
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            running.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.on('unhandledRejection', (reason) => {
        running.log.fatal({ err: reason }, 'unhandled rejection');
        process.exit(1);
      });
    },
    (error: unknown) => {
      if (error instanceof InvalidConfigurationError) {
        console.error(error.message);
        process.exit(78);
      }
      console.error(JSON.stringify({ level: 'fatal', msg: `${service} failed to start`, err: error instanceof Error ? error.message : String(error) }));
      process.exit(1);
    },
  );
}
