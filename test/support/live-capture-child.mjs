// Runs one live capture and reports it as JSON lines on stdout. The live
// tests start it with `ip netns exec <ns> node live-capture-child.mjs '<options>'`
// so that the capture's interface lives in a namespace of its own (a process
// cannot enter a namespace for one thread from Node; a child can be born in it).
//
// argv[2]: JSON of Capture.openLive options, plus `maxSeconds` (watchdog, default 30).
// stdin, one command a line: "stats" (reply with a stats line), "stop" (capture.stop()).
// stdout, one JSON object a line:
//   {"type":"ready"}                           the capture is open; frames sent now are seen
//   {"type":"flow","flow":{...}}               one flow record (u64 as numbers, binary as hex)
//   {"type":"stats","stats":{...}}             reply to "stats"
//   {"type":"error","name","code","message","captureError"}  openLive or the iteration failed
//   {"type":"end","stats":{...},"stopToEndMs"} the iteration ended (after stop, or on its own)
// The child stops itself when stdin closes (the test runner died) or the watchdog fires.
import { Capture, CaptureError } from '@mommynet/core';

const options = JSON.parse(process.argv[2] ?? '{}');
const maxSeconds = options.maxSeconds ?? 30;
delete options.maxSeconds;

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

let capture;
try {
  capture = Capture.openLive(options);
} catch (err) {
  reportError(err);
  process.exit(2);
}

let stoppedAt;
const stop = () => {
  if (stoppedAt === undefined) {
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
send({ type: 'end', stats: capture.stats(), stopToEndMs });
clearTimeout(watchdog);
process.stdin.destroy();
process.exitCode = exitCode;
