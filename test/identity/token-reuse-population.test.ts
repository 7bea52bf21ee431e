// A simulated population of refreshing clients over a compressed clock: how many ACS issue calls does
// token reuse save? 500 users with one to three devices each (a phone, a laptop, a second tab) over 8
// hours. Each device asks for a 60-minute token when it starts, refreshes it 10 minutes before expiry
// (as the ACS CommunicationTokenCredential does with proactive refresh) and reloads now and then
// (a new page load asks again). The identity core runs for real with the in-memory token cache.
import { randomBytes } from "node:crypto";
import { IdentityService } from "../../src/identity";
import type { TokenReuseSettings } from "../../src/identity/token-reuse";
import { createTokenCache } from "../../src/tokencache";
import {
  callerAs,
  FakeAcs,
  MemoryAuditLog,
  MemoryCreationLedger,
  MemoryStore,
  RecordingLimiter,
} from "./fakes";

const MINUTE = 60_000;
const HOURS = 8;
const USERS = 500;
const LIFETIME_MINUTES = 60;
const REFRESH_BEFORE_EXPIRY = 10 * MINUTE;
const MEAN_RELOAD_INTERVAL = 45 * MINUTE;
const SETTINGS: TokenReuseSettings = { maxAgeMs: 10 * MINUTE, minRemainingMs: 15 * MINUTE };

// A small seeded generator, so both runs see the same population.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome {
  requests: number;
  acsIssues: number;
  /** Tokens handed out with less life than a client needs, or more than it asked for: must be 0. */
  unfit: number;
}

async function simulate(reuse: boolean): Promise<Outcome> {
  // The cache checks expiry against the real clock too, so the simulated day starts now.
  const start = Date.now();
  let clock = start;
  const now = () => new Date(clock);
  const acs = new FakeAcs(now);
  const store = new MemoryStore();
  const audit = new MemoryAuditLog();
  const service = new IdentityService({
    acs,
    store,
    creations: new MemoryCreationLedger(store, audit),
    audit,
    limiter: new RecordingLimiter(),
    tokenReuse: reuse
      ? {
          cache: createTokenCache({ keys: [randomBytes(32)], redisUrl: undefined, keyPrefix: "sim" }),
          settings: SETTINGS,
        }
      : undefined,
    now,
  });
  const next = random(42);
  const end = start + HOURS * 60 * MINUTE;
  // A device holds one token. Its refresh is due 10 minutes before that token expires; a reload asks
  // anew and replaces the token (the pending refresh of the old one is dropped: `generation`).
  const devices: Array<{ user: number; generation: number }> = [];
  const events: Array<{ at: number; device: number; generation: number | "reload" }> = [];
  for (let user = 0; user < USERS; user++) {
    const count = 1 + Math.floor(next() * 3);
    const firstSeen = start + next() * 2 * 60 * MINUTE;
    for (let d = 0; d < count; d++) {
      devices.push({ user, generation: 0 });
      events.push({ at: firstSeen + next() * 20 * MINUTE, device: devices.length - 1, generation: "reload" });
    }
  }
  // Kept latest first, so pop() takes the earliest; new events go in at their place (binary search),
  // not by sorting the whole queue on every step.
  events.sort((a, b) => b.at - a.at);
  const schedule = (event: (typeof events)[number]) => {
    let low = 0;
    let high = events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (events[middle].at > event.at) low = middle + 1;
      else high = middle;
    }
    events.splice(low, 0, event);
  };
  let requests = 0;
  let unfit = 0;
  while (events.length) {
    const event = events.pop()!;
    if (event.at >= end) break;
    const device = devices[event.device];
    if (event.generation !== "reload" && event.generation !== device.generation) continue; // replaced
    clock = event.at;
    const minted = await service.tokens.issueMyAccessToken(
      callerAs(`sim-user-${device.user}`, ["user"]),
      ["voip"],
      LIFETIME_MINUTES,
    );
    requests += 1;
    const remaining = minted.expiresOn.getTime() - clock;
    if (remaining < SETTINGS.minRemainingMs || remaining > LIFETIME_MINUTES * MINUTE) unfit += 1;
    device.generation += 1;
    schedule({
      at: minted.expiresOn.getTime() - REFRESH_BEFORE_EXPIRY,
      device: event.device,
      generation: device.generation,
    });
    if (event.generation === "reload")
      schedule({
        at: clock - Math.log(1 - next()) * MEAN_RELOAD_INTERVAL,
        device: event.device,
        generation: "reload",
      });
  }
  return { requests, acsIssues: acs.calls.filter((call) => call.startsWith("issue")).length, unfit };
}

test("token reuse cuts ACS issue calls for a population of refreshing clients, handing out only fit tokens", async () => {
  const without = await simulate(false);
  const withReuse = await simulate(true);
  const reduction = 1 - withReuse.acsIssues / without.acsIssues;
  console.log(
    `token reuse, ${USERS} users over ${HOURS} h: ${without.requests} requests and ${without.acsIssues} ACS ` +
      `issue calls without reuse; ${withReuse.requests} requests and ${withReuse.acsIssues} ACS issue calls ` +
      `with it (${(reduction * 100).toFixed(1)}% fewer ACS calls)`,
  );
  // A reused token has less life left than a fresh one, so its device refreshes a little sooner: the
  // same population makes a few more requests with reuse, and still far fewer ACS calls.
  expect(without.acsIssues).toBe(without.requests);
  expect(withReuse.acsIssues).toBeLessThan(without.acsIssues);
  expect(withReuse.unfit).toBe(0);
}, 120_000);
