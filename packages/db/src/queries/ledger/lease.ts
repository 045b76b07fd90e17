/** A lease: the key, and the fence and token the run claimed it with (see claimIdempotencyKeys). */
export interface Lease {
  idempotencyKey: string;
  fence: number;
  token: string;
}
