/**
 * A local SMTP relay stand-in (RFC 5321, the few commands nodemailer's SMTP transport speaks without
 * TLS or AUTH), so the SMTP email transport is tested over a real socket. It keeps every message whose
 * DATA it read. `dropAfterData(n)` makes the next n messages be kept and the connection closed before
 * the final 250 (the relay has the message, the client cannot know); `rejectRecipient(address)`
 * answers its RCPT TO with 550.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SmtpStandin {
  url: string;
  /** Every message whose DATA the relay read, raw (headers and body). */
  messages: { from: string; to: string[]; data: string }[];
  dropAfterData(count: number): void;
  rejectRecipient(address: string): void;
  close(): Promise<void>;
}

export async function startSmtpStandin(): Promise<SmtpStandin> {
  const messages: SmtpStandin['messages'] = [];
  const rejected = new Set<string>();
  const sockets = new Set<Socket>();
  let drops = 0;

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    const say = (line: string) => socket.write(`${line}\r\n`);
    say('220 smtp-standin ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push({ from, to, data });
          if (drops > 0) {
            drops -= 1;
            socket.destroy();
            return;
          }
          say('250 2.0.0 OK queued');
          continue;
        }
        const newline = buffer.indexOf('\r\n');
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') say('250-smtp-standin\r\n250-8BITMIME\r\n250 SMTPUTF8');
        else if (verb === 'HELO') say('250 smtp-standin');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          say('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          const address = (/<([^>]*)>/.exec(line)?.[1] ?? '').toLowerCase();
          if (rejected.has(address)) say('550 5.1.1 mailbox unavailable');
          else {
            to.push(address);
            say('250 2.1.5 OK');
          }
        } else if (verb === 'DATA') {
          inData = true;
          say('354 go ahead');
        } else if (verb === 'RSET') say('250 OK');
        else if (verb === 'NOOP') say('250 OK');
        else if (verb === 'QUIT') {
          say('221 bye');
          socket.end();
          return;
        } else say('502 5.5.2 command not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    dropAfterData: (count) => {
      drops += count;
    },
    rejectRecipient: (address) => void rejected.add(address.toLowerCase()),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
