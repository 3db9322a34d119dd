// Runs one live capture and reports it as JSON lines on stdout. The live
// tests start it with `ip netns exec <ns> node live-capture-child.mjs '<options>'`
// so that the capture's interface lives in a namespace of its own (a process
// cannot enter a namespace for one thread from Node; a child can be born in it).
//
// argv[2]: JSON of Capture.openLive options, plus `maxSeconds` (watchdog, default 30)
// and `mode` (default "capture"; "threadpool" is described below).
// stdin, one command a line: "stats" (reply with a stats line), "stop" (capture.stop()).
// stdout, one JSON object a line:
//   {"type":"ready"}                           the capture is open; frames sent now are seen
//   {"type":"flow","flow":{...}}               one flow record (u64 as numbers, binary as hex)
//   {"type":"stats","stats":{...}}             reply to "stats"
//   {"type":"error","name","code","message","captureError"}  openLive or the iteration failed
//   {"type":"end","stats":{...},"stopToEndMs","packetsAtStop"}  the iteration ended (after
//                                              stop, or on its own); packetsAtStop: stats().packets
//                                              just before stop() was called (null: no stop)
// The child stops itself when stdin closes (the test runner died) or the watchdog fires.
//
// mode "threadpool" (option `captures`, default 5): opens that many live
// captures in this one process, starts a next() on each (on an idle interface
// they stay pending), then times fs.promises.readFile of a small file, which
// needs a thread of libuv's pool (UV_THREADPOOL_SIZE, 4 unless set). A next()
// that held a pool thread while waiting would leave none free. Reports
//   {"type":"ready"}, then {"type":"threadpool","readFileMs","pendingBefore"}
//     (readFileMs null if it did not finish within 5 s; pendingBefore: how
//     many next() calls were still pending when the read started),
//   then {"type":"end","stats":{...},"stopToEndMs"} after stopping them all.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { Capture, CaptureError } from '@mommynet/core';

const options = JSON.parse(process.argv[2] ?? '{}');
const maxSeconds = options.maxSeconds ?? 30;
const mode = options.mode ?? 'capture';
delete options.maxSeconds;
delete options.mode;

const send = (obj) =>
  process.stdout.write(
    JSON.stringify(obj, (_k, v) =>
      typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ) + '\n',
  );

const reportError = (err) =>
  send({
    type: 'error',
    name: err?.name,
    code: err?.code,
    message: String(err?.message ?? err),
    captureError: err instanceof CaptureError,
  });

if (mode === 'threadpool') {
  await threadpoolMode();
  process.exit(process.exitCode ?? 0);
} else if (mode !== 'capture') {
  reportError(new Error(`unknown mode '${mode}'`));
  process.exit(2);
}

async function threadpoolMode() {
  const count = options.captures ?? 5;
  delete options.captures;
  const captures = [];
  try {
    for (let i = 0; i < count; i++) captures.push(Capture.openLive(options));
  } catch (err) {
    reportError(err);
    for (const c of captures) c.close();
    process.exitCode = 2;
    return;
  }
  const hardLimit = setTimeout(() => {
    send({ type: 'error', name: 'Timeout', message: 'threadpool mode did not finish' });
    process.exit(3);
  }, maxSeconds * 1000);
  hardLimit.unref();
  send({ type: 'ready' });

  let pending = count;
  const nexts = captures.map((c) => c.next().finally(() => pending--));
  // Let every next() reach the point where it waits for a batch.
  await new Promise((r) => setTimeout(r, 300));
  const pendingBefore = pending;
  const started = performance.now();
  let timer;
  const readFileMs = await Promise.race([
    readFile(fileURLToPath(import.meta.url)).then(() => performance.now() - started),
    new Promise((r) => (timer = setTimeout(() => r(null), 5000))),
  ]);
  clearTimeout(timer);
  send({ type: 'threadpool', readFileMs, pendingBefore });

  const stoppedAt = performance.now();
  for (const c of captures) c.stop();
  const settled = await Promise.allSettled(nexts);
  // The rest of each iteration: whatever batches are left, then the end.
  for (const c of captures) while ((await c.next()) !== null);
  const stopToEndMs = performance.now() - stoppedAt;
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) {
    reportError(failed.reason);
    process.exitCode = 2;
  }
  send({ type: 'end', stats: captures[0].stats(), stopToEndMs });
  for (const c of captures) c.close();
  process.stdin.destroy();
}

let capture;
try {
  capture = Capture.openLive(options);
} catch (err) {
  reportError(err);
  process.exit(2);
}

let stoppedAt;
let packetsAtStop = null;
const stop = () => {
  if (stoppedAt === undefined) {
    packetsAtStop = capture.stats().packets;
    stoppedAt = performance.now();
    capture.stop();
  }
};

const watchdog = setTimeout(stop, maxSeconds * 1000);
// A second, harder limit: stop() itself failing to end the iteration.
const hardLimit = setTimeout(() => {
  send({ type: 'error', name: 'Timeout', message: 'the iteration did not end after stop()' });
  process.exit(3);
}, (maxSeconds + 10) * 1000);
hardLimit.unref();

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
    const cmd = buffered.slice(0, i).trim();
    buffered = buffered.slice(i + 1);
    if (cmd === 'stats') send({ type: 'stats', stats: capture.stats() });
    else if (cmd === 'stop') stop();
  }
});
process.stdin.on('end', stop);

send({ type: 'ready' });

let exitCode = 0;
try {
  for await (const batch of capture) {
    for (const row of batch) send({ type: 'flow', flow: row.toJSON() });
  }
} catch (err) {
  reportError(err);
  exitCode = 2;
}
const stopToEndMs = stoppedAt === undefined ? null : performance.now() - stoppedAt;
send({ type: 'end', stats: capture.stats(), stopToEndMs, packetsAtStop });
clearTimeout(watchdog);
process.stdin.destroy();
process.exitCode = exitCode;
