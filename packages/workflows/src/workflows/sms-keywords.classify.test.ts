import { describe, expect, it } from 'vitest';
import { classifyReply, isYes, keywordOf } from './sms-keywords.js';

describe('classifyReply', () => {
  it.each(['STOP', ' Stop ', 'stop.', 'STOP!!', 'StopAll', 'unsubscribe', 'Cancel', 'end', 'QUIT', 'revoke', 'OptOut', '"stop"', '\tstop\n'])(
    'reads the carrier keyword %j as an opt-out',
    (body) => expect(classifyReply(body)).toBe('stop'),
  );

  it.each(['opt out', 'Please opt me out', 'please stop texting me', 'Stop sending me messages', "don't text me anymore", 'No more texts please', 'remove me from this list', 'please stop'])(
    'reads the plain-language request %j as an opt-out',
    (body) => expect(classifyReply(body)).toBe('stop'),
  );

  it.each(['START', 'unstop', ' Start! '])('reads %j as an opt-in', (body) => expect(classifyReply(body)).toBe('start'));
  it.each(['HELP', 'info', 'Help?'])('reads %j as a help request', (body) => expect(classifyReply(body)).toBe('help'));
  it.each(['C', 'c', 'YES', 'yes!', 'Confirm', 'y'])('reads %j as a confirmation', (body) => expect(classifyReply(body)).toBe('confirm'));
  it.each(['Can I reschedule?', 'I need to change my appointment', 'need a different time', "I can't make it"])(
    'reads %j as a reschedule request',
    (body) => expect(classifyReply(body)).toBe('reschedule'),
  );
  it.each(['Please call me about my results', 'Thanks!', 'stopping by later', 'Is the clinic at the end of the street?'])(
    'leaves %j alone',
    (body) => expect(classifyReply(body)).toBe('other'),
  );

  it('normalises keywords and recognises a bare YES', () => {
    expect(keywordOf('  stop.  ')).toBe('STOP');
    expect(isYes(' Yes. ')).toBe(true);
    expect(isYes('yes please')).toBe(false);
  });
});
