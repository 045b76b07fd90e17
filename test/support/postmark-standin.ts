/**
 * A local HTTP stand-in for Postmark's email API, so tests drive the real Postmark adapter over a real
 * socket. It plays the two routes the adapter uses:
 *
 * | route    | request                                                  | answer                                              |
 * |----------|----------------------------------------------------------|-----------------------------------------------------|
 * | `email`  | `POST /email` (JSON, `X-Postmark-Server-Token`)          | 200 `{ To, SubmittedAt, MessageID, ErrorCode: 0, Message: 'OK' }` |
 * | `search` | `GET /messages/outbound?count=&offset=&recipient=`       | 200 `{ TotalCount, Messages: [...] }` newest first, with each message's `Metadata` |
 *
 * Like Postmark it keeps every email it accepted; a wrong token is a 401 `{ ErrorCode: 10 }`; a
 * recipient made inactive (`inactivate`) is refused with 422 `{ ErrorCode: 406 }` and nothing sent.
 * It misbehaves on request, as the SMS stand-in does: `script([...])` queues answers for the next
 * sends: `{ status, accept?, delayMs? }` (a 5xx with `accept: true` acted first; an answer later than
 * the client's timeout with `delayMs`), `{ destroy: true, accept? }` (a reset before or after acting),
 * `{ cutBody: true }` (acted, half an answer, reset) and `{ nonJson: true }` (acted, 200 that is not
 * JSON). The search lists an email only `listingDelayMs` after it was accepted (Postmark's index lags).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const POSTMARK_TEST_TOKEN = 'postmark-test-server-token';

export type PostmarkScript =
  | { status: number; accept?: boolean; delayMs?: number }
  | { destroy: true; accept?: boolean }
  | { cutBody: true }
  | { nonJson: true };

/** An email Postmark accepted, as its search and our assertions see it. */
export interface PostmarkEmail {
  MessageID: string;
  To: string;
  From: string;
  Subject: string;
  TextBody: string;
  ReplyTo: string | null;
  Tag: string | null;
  Headers: { Name: string; Value: string }[];
  Metadata: Record<string, string>;
  MessageStream: string;
  ReceivedAt: Date;
}

export interface PostmarkSendRequest {
  json: Record<string, unknown> | null;
  token: string | undefined;
  receivedAt: Date;
  /** Answered (any way) yet: false while a late answer is pending or after a reset without one. */
  answered: boolean;
}

export interface PostmarkStandin {
  url: string;
  /** Every accepted email, in order (what a double send shows up in). */
  emails: PostmarkEmail[];
  /** Every `POST /email`, in order. */
  sends: PostmarkSendRequest[];
  /** How many searches were made. */
  searches: number;
  script(answers: PostmarkScript[]): void;
  setListingDelay(ms: number): void;
  /** From now on, emails to `address` are refused with ErrorCode 406 (inactive recipient). */
  inactivate(address: string): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startPostmarkStandin(options: { listingDelayMs?: number; port?: number; onEmail?: (email: PostmarkEmail) => void } = {}): Promise<PostmarkStandin> {
  const emails: PostmarkEmail[] = [];
  const sends: PostmarkSendRequest[] = [];
  const queue: PostmarkScript[] = [];
  const inactive = new Set<string>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let listingDelayMs = options.listingDelayMs ?? 0;
  let searches = 0;

  const accept = (json: Record<string, unknown>): PostmarkEmail => {
    const email: PostmarkEmail = {
      MessageID: randomUUID(),
      To: String(json['To'] ?? ''),
      From: String(json['From'] ?? ''),
      Subject: String(json['Subject'] ?? ''),
      TextBody: String(json['TextBody'] ?? ''),
      ReplyTo: typeof json['ReplyTo'] === 'string' ? json['ReplyTo'] : null,
      Tag: typeof json['Tag'] === 'string' ? json['Tag'] : null,
      Headers: Array.isArray(json['Headers']) ? (json['Headers'] as { Name: string; Value: string }[]) : [],
      Metadata: (json['Metadata'] as Record<string, string> | undefined) ?? {},
      MessageStream: String(json['MessageStream'] ?? 'outbound'),
      ReceivedAt: new Date(),
    };
    emails.push(email);
    options.onEmail?.(email);
    return email;
  };

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handleSend = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      json = null;
    }
    const tokenHeader = req.headers['x-postmark-server-token'];
    const record: PostmarkSendRequest = { json, token: Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader, receivedAt: new Date(), answered: false };
    sends.push(record);
    const done = (status: number, body: unknown) => {
      record.answered = true;
      answer(res, status, body);
    };
    if (record.token !== POSTMARK_TEST_TOKEN) return done(401, { ErrorCode: 10, Message: 'Bad or missing API token' });
    if (!json || typeof json['To'] !== 'string' || typeof json['From'] !== 'string') return done(422, { ErrorCode: 300, Message: 'Invalid email request' });
    if (inactive.has(String(json['To']).toLowerCase())) return done(422, { ErrorCode: 406, Message: 'You tried to send to a recipient that has been marked as inactive.' });
    const scripted = queue.shift();
    const ok = (email: PostmarkEmail) => ({ To: email.To, SubmittedAt: email.ReceivedAt.toISOString(), MessageID: email.MessageID, ErrorCode: 0, Message: 'OK' });
    if (!scripted) return done(200, ok(accept(json)));
    if ('destroy' in scripted) {
      if (scripted.accept) accept(json);
      req.socket.destroy();
      return;
    }
    if ('cutBody' in scripted) {
      const text = JSON.stringify(ok(accept(json)));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setImmediate(() => req.socket.destroy());
      return;
    }
    if ('nonJson' in scripted) {
      accept(json);
      record.answered = true;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      return;
    }
    const acted = scripted.accept || (scripted.status >= 200 && scripted.status < 300) ? accept(json) : null;
    const body = acted && scripted.status < 300 ? ok(acted) : { ErrorCode: 100, Message: 'Maintenance' };
    if (scripted.delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) done(scripted.status, body);
      }, scripted.delayMs);
      timers.add(timer);
      return;
    }
    done(scripted.status, body);
  };

  const handleSearch = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => {
    searches += 1;
    if (req.headers['x-postmark-server-token'] !== POSTMARK_TEST_TOKEN) return answer(res, 401, { ErrorCode: 10, Message: 'Bad or missing API token' });
    const count = Number(query.get('count'));
    const offset = Number(query.get('offset'));
    if (!Number.isInteger(count) || count < 1 || count > 500 || !Number.isInteger(offset) || offset < 0) return answer(res, 422, { ErrorCode: 1100, Message: 'count and offset are required' });
    const recipient = query.get('recipient')?.toLowerCase();
    const cutoff = Date.now() - listingDelayMs;
    const matching = emails
      .filter((e) => e.ReceivedAt.getTime() <= cutoff && (recipient === undefined || e.To.toLowerCase() === recipient))
      .sort((a, b) => b.ReceivedAt.getTime() - a.ReceivedAt.getTime());
    answer(res, 200, {
      TotalCount: matching.length,
      Messages: matching.slice(offset, offset + count).map((e) => ({
        MessageID: e.MessageID,
        To: [{ Email: e.To, Name: null }],
        Recipients: [e.To],
        From: e.From,
        Subject: e.Subject,
        Tag: e.Tag ?? '',
        MessageStream: e.MessageStream,
        Status: 'Sent',
        ReceivedAt: e.ReceivedAt.toISOString(),
        Metadata: e.Metadata,
      })),
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && url.pathname === '/email') return handleSend(req, res, raw);
      if (req.method === 'GET' && url.pathname === '/messages/outbound') return handleSearch(req, res, url.searchParams);
      answer(res, 404, { ErrorCode: 404, Message: 'not found' });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    emails,
    sends,
    get searches() {
      return searches;
    },
    script: (answers) => void queue.push(...answers),
    setListingDelay: (ms) => {
      listingDelayMs = ms;
    },
    inactivate: (address) => void inactive.add(address.toLowerCase()),
    reset() {
      emails.length = 0;
      sends.length = 0;
      queue.length = 0;
      inactive.clear();
      searches = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
