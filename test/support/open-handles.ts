/**
 * Tracks the sockets, servers and child processes a test file opens, so the file can fail when it
 * leaves one open (test/support/open-handle-guard.ts runs this around every file). A leaked Redis or
 * PostgreSQL connection, stand-in server or worker process outlives its test, holds the shared
 * services' connection slots and can act on the next file's keys; naming it says which close() is missing.
 */
import { createHook } from 'node:async_hooks';
import { Server, Socket } from 'node:net';
import { relative } from 'node:path';
import { TEST_PG_URL, TEST_REDIS_URL } from './env.js';

/** async_hooks resource types that are a connection, a listening server or a process. */
const TRACKED = new Set(['TCPWRAP', 'TCPSERVERWRAP', 'PROCESSWRAP']);
const REPO_ROOT = new URL('../../', import.meta.url).pathname;
const KNOWN_PORTS = new Map([
  [new URL(TEST_REDIS_URL).port || '6379', 'Redis'],
  [new URL(TEST_PG_URL).port || '5432', 'PostgreSQL'],
]);

/** Names a server a test starts on its own port (a private PostgreSQL), so a connection left to it says what it is. */
export function nameServicePort(port: number, name: string): void {
  KNOWN_PORTS.set(String(port), name);
}

interface Address {
  address?: string;
  port?: number;
}
interface Handle {
  getpeername?(out: Address): number;
  getsockname?(out: Address): number;
  pid?: number;
  [key: symbol]: unknown;
}
interface Opened {
  type: string;
  handle: Handle;
  /** The first frame of repository code (not node_modules) that opened it, if the stack shows one. */
  openedAt: string | undefined;
}

export interface HandleTracker {
  /** What is open now of what was opened since start(), each named (`Redis connection to …, opened at …`). */
  open(): string[];
  /** Waits up to `graceMs` for closes in flight to finish, then returns what is still open. */
  leftOpen(graceMs?: number): Promise<string[]>;
  stop(): void;
}

export function trackOpenHandles(): HandleTracker {
  const opened = new Map<number, Opened>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (!TRACKED.has(type)) return;
      opened.set(asyncId, { type, handle: resource as Handle, openedAt: type === 'PROCESSWRAP' ? firstOwnFrame(callerStack()) : undefined });
    },
    destroy(asyncId) {
      opened.delete(asyncId);
    },
  });
  hook.enable();
  // A server's or socket's handle is made a tick after listen()/connect(), when the caller's frames
  // are gone: note the caller on the object itself (a child process's handle is made synchronously).
  const listen = Server.prototype.listen;
  const connect = Socket.prototype.connect;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    callers.set(this, firstOwnFrame(callerStack()));
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    callers.set(this, firstOwnFrame(callerStack()));
    return (connect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof connect;

  const open = () => {
    const entries = [...opened.values()];
    const serverPorts = new Set(entries.filter((e) => e.type === 'TCPSERVERWRAP').map((e) => address(e.handle, 'getsockname').port));
    return entries.map((e) => {
      const at = e.openedAt ?? callers.get(owner(e.handle) as object);
      return `${describe(e, serverPorts)}${at ? `, opened at ${at}` : ''}`;
    });
  };
  return {
    open,
    async leftOpen(graceMs = 2_000) {
      const deadline = Date.now() + graceMs;
      while (opened.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return open();
    },
    stop() {
      hook.disable();
      Server.prototype.listen = listen;
      Socket.prototype.connect = connect;
    },
  };
}

function describe(e: Opened, serverPorts: Set<number | undefined>): string {
  if (e.type === 'PROCESSWRAP') {
    const child = owner(e.handle) as { spawnargs?: string[] } | undefined;
    return `child process ${e.handle.pid ?? '(not started)'} (${(child?.spawnargs ?? []).slice(0, 3).join(' ')})`;
  }
  const local = address(e.handle, 'getsockname');
  if (e.type === 'TCPSERVERWRAP') return `server listening on port ${local.port ?? '?'}`;
  if (serverPorts.has(local.port)) return `connection accepted by the server on port ${local.port}`;
  const peer = address(e.handle, 'getpeername');
  if (peer.port === undefined) return 'TCP connection (not connected yet)';
  const service = KNOWN_PORTS.get(String(peer.port));
  return `${service ? `${service} connection` : 'TCP connection'} to ${peer.address}:${peer.port}`;
}

function address(handle: Handle, which: 'getsockname' | 'getpeername'): Address {
  const out: Address = {};
  handle[which]?.(out);
  return out;
}

/** The net.Socket/ChildProcess that owns a handle (Node keeps it under a symbol named owner_symbol). */
function owner(handle: Handle): unknown {
  if (typeof handle !== 'object' || handle === null) return undefined;
  const symbol = Object.getOwnPropertySymbols(handle).find((s) => s.description === 'owner_symbol');
  return symbol ? handle[symbol] : undefined;
}

/** Where a listen()/connect() was called from, by the object it was called on. */
const callers = new WeakMap<object, string | undefined>();

function callerStack(): string | undefined {
  // Deep enough to get past node's and the libraries' own frames to the repository's.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return stack;
}

function firstOwnFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const match = /\(?(file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[2]!;
    if (!file.startsWith(REPO_ROOT) || file.includes('/node_modules/') || file.endsWith('/open-handles.ts')) continue;
    return `${relative(REPO_ROOT, file)}:${match[3]}`;
  }
  return undefined;
}
