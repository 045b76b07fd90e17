import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';

/**
 * Writes one event row for something that happened outside a workflow's own
 * effects (a staff action, an inbound message). The event is journaled, so a
 * redelivered trigger logs it once.
 */
export const WF11_Log_Event = defineWorkflow({
  name: 'WF11_Log_Event',
  version: '1.0.0',
  lane: 'batch',
  payload: z
    .object({
      event_type: z.string().regex(/^[a-z][a-z0-9_.]{1,63}$/),
      direction: z.enum(['inbound', 'outbound', 'internal']),
      /** Non-PHI attributes only: refs, statuses, counts. */
      attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    })
    .strict(),
  async run(ctx) {
    const logged = await ctx.effect(
      'event.log',
      { service: 'revos', endpoint: 'events.log', eventType: ctx.payload.event_type, direction: ctx.payload.direction, eventPayload: () => ctx.payload.attributes },
      async () => ({ logged: true }),
    );
    return { summary: `event ${ctx.payload.event_type} logged`, primary_outputs: logged, phi_touched: false };
  },
});
