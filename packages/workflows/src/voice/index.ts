// `@revos/workflows/voice`: a live call's state and the replies spoken in it, shared by the voice
// workflows and the producer's voice webhook (which loads no handler).
export * from './call-state.js';
export * from './reply.js';
