/**
 * HTTP/1.1 requests written byte by byte on a TCP socket, for the framings fetch will not send: a POST
 * with neither Content-Length nor Transfer-Encoding (what `curl -X POST` sends), a chunked body, a
 * declared length. The answer is read up to its Content-Length; a socket error before that rejects,
 * so a server that resets the connection before the client has read its answer fails the test.
 */
import { connect } from 'node:net';

export type Framing = 'none' | 'length' | 'chunked';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  framing: Framing;
}

export interface RawAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

const CHUNK = 64 * 1024;

export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0));
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(request.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
  if (request.framing === 'length') lines.push(`Content-Length: ${body.length}`);
  if (request.framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);

  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      socket.destroy();
      outcome();
    };
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...headerLines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      const payload = received.subarray(end + 4);
      if (payload.length < length) return;
      finish(() => resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: payload.subarray(0, length).toString('utf8') }));
    });
    socket.on('error', (error) => finish(() => reject(error)));
    socket.on('close', () => finish(() => reject(new Error(`connection closed before a full answer (${received.length} bytes read)`))));
    socket.on('connect', () => {
      socket.write(head);
      if (request.framing === 'chunked') {
        for (let i = 0; i < body.length; i += CHUNK) {
          const part = body.subarray(i, i + CHUNK);
          socket.write(`${part.length.toString(16)}\r\n`);
          socket.write(part);
          socket.write('\r\n');
        }
        socket.write('0\r\n\r\n');
      } else if (request.framing === 'length') {
        socket.write(body);
      }
    });
  });
}
