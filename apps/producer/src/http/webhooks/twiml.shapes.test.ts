import { describe, expect, it } from 'vitest';
import { escapeXml, fallbackTwiml, gatherTwiml, NO_FRONT_DESK, replyTwiml } from './twiml.js';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

describe('TwiML', () => {
  it('escapes text and attributes so nothing can close a tag', () => {
    expect(escapeXml(`<Say>"Tom" & 'Jerry'</Say>`)).toBe('&lt;Say&gt;&quot;Tom&quot; &amp; &apos;Jerry&apos;&lt;/Say&gt;');
    expect(gatherTwiml('a < b', '/voice?turn=2&x="1"', null)).toContain('action="/voice?turn=2&amp;x=&quot;1&quot;"');
  });

  it('says a gather reply inside a speech Gather, and hands silence to the front desk', () => {
    expect(replyTwiml({ say: 'Which day?', then: 'gather' }, '/v?turn=3', '+15550000004')).toBe(
      `${HEAD}<Response><Gather input="speech" action="/v?turn=3" method="POST" speechTimeout="auto" language="en-US"><Say>Which day?</Say></Gather>` +
        '<Say>I did not hear anything. Let me connect you to the front desk.</Say><Dial>+15550000004</Dial></Response>',
    );
  });

  it('dials the front desk, hangs up, or asks to call back when no desk is configured', () => {
    expect(replyTwiml({ say: 'Connecting.', then: 'dial' }, '/v', '+15550000004')).toBe(`${HEAD}<Response><Say>Connecting.</Say><Dial>+15550000004</Dial></Response>`);
    expect(replyTwiml({ say: 'Bye.', then: 'hangup' }, '/v', null)).toBe(`${HEAD}<Response><Say>Bye.</Say><Hangup/></Response>`);
    const noDesk = `<Say>${NO_FRONT_DESK}</Say><Hangup/>`;
    expect(fallbackTwiml(null)).toBe(`${HEAD}<Response>${noDesk}</Response>`);
    expect(replyTwiml({ say: 'Connecting.', then: 'dial' }, '/v', null)).toBe(`${HEAD}<Response>${noDesk}</Response>`);
    expect(gatherTwiml('Which day?', '/v', null)).toContain(`</Gather>${noDesk}</Response>`);
  });
});
