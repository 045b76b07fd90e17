import { defineWorkflow } from '@revos/runtime';
import { WF11Manifest } from '../manifests/WF11_Log_Event.js';

/**
 * Writes one event row for something that happened outside a workflow's own
 * effects (a staff action, an inbound message). The event is journaled, so a
 * redelivered trigger logs it once.
 */
export const WF11_Log_Event = defineWorkflow({
  ...WF11Manifest,
  async run(ctx) {
    const logged = await ctx.effect(
      'event.log',
      { service: 'revos', endpoint: 'events.log', eventType: ctx.payload.event_type, direction: ctx.payload.direction, eventPayload: () => ctx.payload.attributes },
      async () => ({ logged: true }),
    );
    return { summary: `event ${ctx.payload.event_type} logged`, primary_outputs: logged, phi_touched: false };
  },
});
