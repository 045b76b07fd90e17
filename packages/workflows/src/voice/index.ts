// `@revos/workflows/voice`: a live call's state, the replies spoken in it and the practice's name as
// patients hear and read it, shared by the workflows and the producer's voice webhook (which loads no handler).
export * from './call-state.js';
export * from './practice-name.js';
export * from './reply.js';
