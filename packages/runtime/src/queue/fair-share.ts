/**
 * Fair share between tenants inside one lane, on BullMQ's open-source queue (which has no groups).
 *
 * Every run enters its lane's prioritized set with a priority that is a *round*: the lane's current
 * round is the lowest priority still waiting (BullMQ pops the lowest first), and each tenant keeps a
 * virtual clock per lane. A run starts at max(its tenant's clock, the current round) and moves that
 * clock on by 1 / weight. A tenant that enqueues 20,000 runs at once therefore spreads them over
 * 20,000 rounds, and a tenant that arrives later starts at the current round: it waits for at most
 * one run of each busy tenant per round (ties keep BullMQ's FIFO counter), never for the backlog.
 * Nothing is held back: the lane's workers always take the lowest waiting priority, so no worker
 * idles while any tenant has work.
 *
 * Within a tenant the run's own priority picks its flow: `high` runs have their own clock (they pass
 * the tenant's normal backlog, and still only take a fair turn against other tenants), `normal` runs
 * share one, and `low` runs start no earlier than the tenant's normal clock (they go after it).
 *
 * When the lane's prioritized set is empty, no tenant is waiting: the clocks are dropped and the
 * rounds start again from zero. BullMQ caps priorities at 2^21 - 1; a lane that never empties for
 * two million rounds saturates there and degrades to first in, first out (counted by `saturated`).
 *
 * Why this design (docs/performance.md has the measurements): a feeder moving runs from per-tenant
 * queues costs a second queue operation per run and hides the backlog from Bull Board; per-tenant
 * queues with manually fetching workers would rewrite the worker's lock, stall and retry handling.
 * A priority is one Lua call before BullMQ's own add, and keeps dedupe by jobId, Bull Board, delays,
 * retries and the reconciler exactly as they were.
 */
import type { Priority } from '@revos/envelope';
import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

/** BullMQ's highest allowed priority value (its PRIORITY_LIMIT). */
export const MAX_PRIORITY = 2 ** 21 - 1;

/** The Redis hash of tenant weights (`tenants.config.fair_share_weight`), kept by the producer's sync. */
export function fairShareWeightsKey(prefix: string): string {
  return `${prefix}:fair-share:weights`;
}

/** The Redis hash of one lane's tenant clocks (field `<tenant>|<flow>`). */
function clocksKey(queue: Queue): string {
  return queue.toKey('fair-share');
}

const FLOW: Record<Priority, 'h' | 'n' | 'l'> = { high: 'h', normal: 'n', low: 'l' };

// KEYS: prioritized set, clocks, weights, the job's hash. ARGV: tenant, flow (h|n|l, or s: the current round, no
// clock moved), max priority. Returns { priority, saturated (0|1), found (0|1) }: found, the jobId is already in
// Redis, so BullMQ will drop this add; it then takes the current round and moves no clock (a duplicate spends
// none of its tenant's share).
const ASSIGN_ROUND = `
local found = redis.call('EXISTS', KEYS[4])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local round = 0
if #first == 0 then
  redis.call('DEL', KEYS[2])
else
  -- A priority is 1 + the round it was given in.
  round = math.max(0, math.floor(tonumber(first[2]) / 4294967296) - 1)
end
local tenant = ARGV[1]
local flow = ARGV[2]
if flow == 's' or found == 1 then return { math.min(1 + round, tonumber(ARGV[3])), 0, found } end
local weight = tonumber(redis.call('HGET', KEYS[3], tenant) or '1') or 1
if weight <= 0 then weight = 1 end
local field = tenant .. '|' .. flow
local start = math.max(tonumber(redis.call('HGET', KEYS[2], field) or '0') or 0, round)
if flow == 'l' then
  start = math.max(start, tonumber(redis.call('HGET', KEYS[2], tenant .. '|n') or '0') or 0)
end
redis.call('HSET', KEYS[2], field, tostring(start + 1 / weight))
local priority = 1 + math.floor(start)
local limit = tonumber(ARGV[3])
if priority > limit then return { limit, 1, 0 } end
return { priority, 0, 0 }
`;

type ScriptClient = (Redis | Cluster) & {
  revosFairRound(...args: string[]): Promise<[number, number, number]>;
  revosFairBacklog(...args: string[]): Promise<string[]>;
};

const withScripts = new WeakSet<object>();

/**
 * The queue's own ioredis connection with our two scripts defined on it (EVALSHA, loaded once per
 * connection). BullMQ 6 types its client as a backend interface; the Redis backend's is ioredis.
 */
async function scriptClient(queue: Queue): Promise<ScriptClient> {
  const client = (await queue.getBackend().client) as unknown as Redis | Cluster;
  if (!withScripts.has(client)) {
    client.defineCommand('revosFairRound', { numberOfKeys: 4, lua: ASSIGN_ROUND });
    client.defineCommand('revosFairBacklog', { numberOfKeys: 3, lua: READ_BACKLOG });
    withScripts.add(client);
  }
  return client as ScriptClient;
}

export interface FairRound {
  /** The BullMQ priority to add the run with. */
  priority: number;
  /** The lane ran past BullMQ's priority range without emptying: this run is first in, first out. */
  saturated: boolean;
  /** The jobId was already in Redis: BullMQ keeps that job and drops this add (no clock was moved). */
  found: boolean;
}

/**
 * The priority a tenant's next run in this lane takes (one Lua call, atomic across every producer and
 * worker). `scheduled`: the run is delayed; it takes the current round and moves no clock. A run whose
 * `jobId` is already in Redis moves no clock either, and says so (`found`).
 */
export async function assignFairRound(queue: Queue, prefix: string, tenantId: string, jobId: string, priority: Priority | 'scheduled' = 'normal'): Promise<FairRound> {
  const client = await scriptClient(queue);
  const [value, saturated, found] = await client.revosFairRound(
    queue.keys.prioritized!,
    clocksKey(queue),
    fairShareWeightsKey(prefix),
    queue.toKey(jobId),
    tenantId,
    priority === 'scheduled' ? 's' : FLOW[priority],
    String(MAX_PRIORITY),
  );
  return { priority: value, saturated: saturated === 1, found: found === 1 };
}

// KEYS: prioritized set, clocks, weights. Returns a flat list tenant, waiting, tenant, waiting, ...
const READ_BACKLOG = `
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return {} end
local round = math.max(0, math.floor(tonumber(first[2]) / 4294967296) - 1)
local clocks = redis.call('HGETALL', KEYS[2])
local ahead = {}
for i = 1, #clocks, 2 do
  local tenant = string.match(clocks[i], '^(.*)|[hnl]$')
  local lead = (tonumber(clocks[i + 1]) or 0) - round
  if tenant and lead > 0 then ahead[tenant] = (ahead[tenant] or 0) + lead end
end
local out = {}
for tenant, lead in pairs(ahead) do
  local weight = tonumber(redis.call('HGET', KEYS[3], tenant) or '1') or 1
  table.insert(out, tenant)
  table.insert(out, tostring(lead * weight))
end
return out
`;

/**
 * Runs waiting per tenant in this lane, read from the clocks: how many rounds each tenant's clocks
 * run ahead of the current round, times its weight. An estimate (a duplicate refused by BullMQ after
 * its round was taken still counts until the lane empties), cheap enough for every metrics scrape.
 */
export async function readFairShareBacklog(queue: Queue, prefix: string): Promise<Map<string, number>> {
  const client = await scriptClient(queue);
  const flat = (await client.revosFairBacklog(queue.keys.prioritized!, clocksKey(queue), fairShareWeightsKey(prefix))) as string[];
  const backlog = new Map<string, number>();
  for (let i = 0; i < flat.length; i += 2) backlog.set(flat[i]!, Math.round(Number(flat[i + 1])));
  return backlog;
}

/**
 * Replaces the weights hash with the tenants' configured weights (default 1 is the absence of a
 * field). One MULTI, so an enqueue never sees a half-written set.
 */
export async function writeFairShareWeights(queue: Queue, prefix: string, weights: ReadonlyMap<string, number>): Promise<void> {
  const client = await scriptClient(queue);
  const key = fairShareWeightsKey(prefix);
  const tx = client.multi().del(key);
  if (weights.size > 0) tx.hset(key, Object.fromEntries([...weights].map(([tenant, weight]) => [tenant, String(weight)])));
  await tx.exec();
}
