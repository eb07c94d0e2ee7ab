/**
 * The latency probe's thread (see probe.ts): one proxied request every `intervalMs` on a fixed
 * schedule, whether or not the previous one has answered, so that a stalled proxy shows as many
 * slow requests rather than as one (no coordinated omission). Its own thread, so that what the
 * measuring client does meanwhile (reading a download, parsing GraphQL answers) cannot delay it.
 */
interface Sample { sentAt: number; ms: number; ok: boolean }

let running = false;
let samples: Sample[] = [];
/** Requests not answered yet: their sending time by a request number. */
const unanswered = new Map<number, number>();
let nextId = 0;
const total = { sent: 0, failed: 0 };

async function send(url: string, body: string): Promise<void> {
  const sentAt = Date.now();
  const t = performance.now();
  const id = nextId++;
  unanswered.set(id, sentAt);
  let ok = false;
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    ok = res.status === 200;
  } catch {
    ok = false;
  }
  samples.push({ sentAt, ms: performance.now() - t, ok });
  total.sent++;
  if (!ok) total.failed++;
  unanswered.delete(id);
}

/** Until every request sent by `to` has answered (or timed out: fetch gives up after 30 s). */
async function settled(to: number): Promise<void> {
  while ([...unanswered.values()].some((at) => at <= to)) await Bun.sleep(5);
}

async function loop(url: string, body: string, intervalMs: number): Promise<void> {
  const start = performance.now();
  for (let k = 0; running; k++) {
    const wait = start + k * intervalMs - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    if (!running) break;
    void send(url, body);
  }
}

self.onmessage = async (event: MessageEvent) => {
  const msg = event.data as { type: 'start'; url: string; body: string; intervalMs: number } | { type: 'take'; id: number; from: number; to: number } | { type: 'stop' };
  if (msg.type === 'start') {
    running = true;
    void loop(msg.url, msg.body, msg.intervalMs);
  } else if (msg.type === 'take') {
    // The requests sent in the window may still be waiting for the proxy: those are the slow ones.
    await settled(msg.to);
    const taken = samples.filter((s) => s.sentAt >= msg.from && s.sentAt <= msg.to);
    // Windows are asked for in order: older samples are not needed again.
    samples = samples.filter((s) => s.sentAt >= msg.from);
    self.postMessage({ id: msg.id, samples: taken });
  } else {
    running = false;
    await settled(Number.POSITIVE_INFINITY);
    self.postMessage({ stopped: true, ...total });
  }
};
