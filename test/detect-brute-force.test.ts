/**
 * brute_force: the corpus SSH brute force found (SSH on port 902, known by
 * its banner), benign captures silent, and the thresholds on synthetic
 * login attempts: count, window, shape (short, small, alike), services,
 * HTTP's stricter rule, severity and episodes.
 */
import { join } from 'node:path';

import { type Alert, toEve } from '@mommynet/core';
import { tcpSession } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { BruteForceDetector, DEFAULT_BRUTE_FORCE } from '../packages/core/src/detect/detectors/brute-force.js';
import { BENIGN_CAPTURES, corpusCapture, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { detectIn } from './support/detect.js';
import { writeCapture } from './support/synthetic.js';

const detect = (path: string): Promise<Alert[]> => detectIn(path, [new BruteForceDetector()]);


describe.skipIf(!haveCorpus)('brute_force on the corpus', () => {
  it('finds the SSH brute force (on port 902, known by its banner)', async () => {
    const path = corpusCapture('slips_malicious-ssh-bruteforce.pcap');
    if (!path) return; // this corpus subset does not have it
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'brute_force', severity: 3, src_ip: '147.32.80.40', dst_ip: '147.32.80.37', dst_port: 902, proto: 6 });
    // 67 connections: 65 exchanged payload both ways; a bare probe and one that only got the banner are not attempts.
    expect(alerts[0]!.details).toMatchObject({ service: 'ssh', attempts: 65, threshold_attempts: 20, window_seconds: 60 });
    expect((alerts[0]!.details.sample_flows as string[]).length).toBe(5);
    expect(toEve(alerts[0]!)).toMatchObject({ event_type: 'alert', alert: { category: alerts[0]!.category, severity: alerts[0]!.severity } });
    expect(await detect(path)).toEqual(alerts); // deterministic
  });

  it.each([
    ...BENIGN_CAPTURES,
    'slips_test-cc-capture-1.pcap', // HTTPS every 2 s, all alike: below HTTP's rate
  ])('benign %s raises nothing', async (name) => {
    const path = corpusCapture(name);
    if (!path) return;
    expect(await detect(path)).toEqual([]);
  });
});

it('the sample demo.pcap raises nothing', async () => {
  expect(await detect(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'))).toEqual([]);
});

describe('brute_force thresholds', () => {
  const t0 = 1_700_000_000_000_000;
  const enc = new TextEncoder();
  const bytes = (n: number, fill = 0x41) => new Uint8Array(n).fill(fill);
  const SSH_LOGIN = [
    { fromClient: false, payload: enc.encode('SSH-2.0-OpenSSH_9.6\r\n') },
    { fromClient: true, payload: enc.encode('SSH-2.0-libssh2_1.11.0\r\n') },
    { fromClient: true, payload: bytes(1500) },
    { fromClient: false, payload: bytes(1100) },
    { fromClient: true, payload: bytes(200) },
    { fromClient: false, payload: bytes(60) },
  ];

  interface Attempts {
    n: number;
    everyUs?: number;
    from?: number;
    port?: number;
    src?: string;
    exchanges?: { fromClient: boolean; payload: Uint8Array }[];
    /** Time between the packets of one connection. */
    packetUs?: number;
    ending?: 'fin' | 'rst' | 'refused' | 'unanswered';
  }
  /** `n` connections from `src` to 10.9.0.1:`port`, one every `everyUs`, frames in time order. */
  const attempts = (o: Attempts) =>
    Array.from({ length: o.n }, (_, i) =>
      tcpSession({
        client: o.src ?? '10.9.9.9', server: '10.9.0.1', clientPort: 30000 + ((i + (o.from ?? 0)) % 30000), serverPort: o.port ?? 22,
        exchanges: o.ending === 'refused' || o.ending === 'unanswered' ? [] : (o.exchanges ?? SSH_LOGIN), ending: o.ending,
      }).map((frame, k) => ({ tsMicros: t0 + (i + (o.from ?? 0)) * (o.everyUs ?? 1_000_000) + k * (o.packetUs ?? 2000), frame })),
    )
      .flat()
      .sort((a, b) => a.tsMicros - b.tsMicros);

  it('needs 20 short, small, alike logins within a minute', async () => {
    expect(await detect(writeCapture(attempts({ n: 19 })))).toEqual([]);
    const alerts = await detect(writeCapture(attempts({ n: 20 })));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ category: 'brute_force', severity: 3, src_ip: '10.9.9.9', dst_ip: '10.9.0.1', dst_port: 22 });
    expect(alerts[0]!.details).toMatchObject({ service: 'ssh', attempts: 20, max_attempts_in_window: 20, size_spread_fwd: 0, size_spread_rev: 0 });
    // The same 20 logins over 20 minutes: never 20 within one minute.
    expect(await detect(writeCapture(attempts({ n: 20, everyUs: 61_000_000 })))).toEqual([]);
  });

  it('does not count probes, long sessions or transfers', async () => {
    expect(await detect(writeCapture(attempts({ n: 40, ending: 'refused' })))).toEqual([]);
    expect(await detect(writeCapture(attempts({ n: 40, ending: 'unanswered' })))).toEqual([]);
    // About a minute each (an interactive session), one started every second.
    expect(await detect(writeCapture(attempts({ n: 40, packetUs: 3_500_000 })))).toEqual([]);
    // 20 KiB each way (a copy), not a login.
    const transfer = [...SSH_LOGIN, { fromClient: true, payload: bytes(20_000) }, { fromClient: false, payload: bytes(20_000) }];
    expect(await detect(writeCapture(attempts({ n: 40, exchanges: transfer })))).toEqual([]);
  });

  it('needs the attempts to look alike, tolerating a few odd ones', async () => {
    const sized = (i: number) => [
      { fromClient: true, payload: bytes(100 + i * 97) },
      { fromClient: false, payload: bytes(100 + ((i * 389) % 3000)) },
    ];
    const varied = Array.from({ length: 30 }, (_, i) => attempts({ n: 1, from: i, exchanges: sized(i) })).flat();
    expect(await detect(writeCapture(varied))).toEqual([]);
    // 24 alike logins and 6 odd connections in between: still an attack.
    const mixed = Array.from({ length: 30 }, (_, i) => attempts({ n: 1, from: i, exchanges: i % 5 === 0 ? sized(i) : SSH_LOGIN }))
      .flat()
      .sort((a, b) => a.tsMicros - b.tsMicros);
    expect((await detect(writeCapture(mixed))).map((a) => a.details.service)).toEqual(['ssh']);
  });

  it('knows the services by port, and SSH on any port by its banner', async () => {
    const login = [
      { fromClient: false, payload: enc.encode('220 ready\r\n') },
      { fromClient: true, payload: enc.encode('USER admin\r\nPASS hunter2\r\n') },
      { fromClient: false, payload: enc.encode('530 Login incorrect.\r\n') },
    ];
    for (const [port, service] of [[21, 'ftp'], [23, 'telnet'], [445, 'smb'], [3389, 'rdp']] as const) {
      const alerts = await detect(writeCapture(attempts({ n: 25, port, exchanges: login })));
      expect(alerts.map((a) => [a.dst_port, a.details.service])).toEqual([[port, service]]);
    }
    const ssh2222 = await detect(writeCapture(attempts({ n: 25, port: 2222 })));
    expect(ssh2222.map((a) => [a.dst_port, a.details.service])).toEqual([[2222, 'ssh']]);
    // Another service on a port of no login service: not counted.
    expect(await detect(writeCapture(attempts({ n: 25, port: 2222, exchanges: login })))).toEqual([]);
  });

  it('keeps HTTP conservative: many alike requests a minute, not browsing', async () => {
    const post = [
      { fromClient: true, payload: enc.encode('POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\nuser=admin&pass=password123') },
      { fromClient: false, payload: enc.encode(`HTTP/1.1 401 Unauthorized\r\nContent-Length: 600\r\n\r\n${'x'.repeat(600)}`) },
    ];
    // 60 a minute would be an SSH brute force; for HTTP it takes 100.
    expect(await detect(writeCapture(attempts({ n: 99, port: 80, everyUs: 500_000, exchanges: post })))).toEqual([]);
    const alerts = await detect(writeCapture(attempts({ n: 100, port: 80, everyUs: 500_000, exchanges: post })));
    expect(alerts.map((a) => [a.dst_port, a.details.service, a.details.threshold_attempts])).toEqual([[80, 'http', 100]]);
    // A page load: 150 parallel connections within 3 s, objects of many sizes.
    const page = Array.from({ length: 150 }, (_, i) =>
      attempts({
        n: 1, from: i, port: 443, everyUs: 20_000,
        exchanges: [
          { fromClient: true, payload: bytes(300 + (i % 7) * 40) },
          { fromClient: false, payload: bytes(200 + ((i * 7919) % 16_000)) },
        ],
      }),
    )
      .flat()
      .sort((a, b) => a.tsMicros - b.tsMicros);
    expect(await detect(writeCapture(page))).toEqual([]);
  });

  it('is high severity from 200 attempts in the window', async () => {
    const alerts = await detect(writeCapture(attempts({ n: DEFAULT_BRUTE_FORCE.highAttempts, everyUs: 250_000 })));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 2 });
    expect(alerts[0]!.details).toMatchObject({ attempts: 200, max_attempts_in_window: 200 });
  });

  it('makes one alert per episode, per attacker, and a new one after a quiet gap', async () => {
    // One login every 2 s for 10 minutes: one episode.
    const long = await detect(writeCapture(attempts({ n: 300, everyUs: 2_000_000 })));
    expect(long.map((a) => a.details.attempts)).toEqual([300]);
    expect(long[0]!.end - long[0]!.start).toBeGreaterThan(590_000_000);
    // Again an hour later, and another attacker meanwhile: three alerts.
    const frames = [
      ...attempts({ n: 30 }),
      ...attempts({ n: 30, from: 3600 }),
      ...attempts({ n: 30, from: 1800, src: '10.9.9.8' }),
    ].sort((a, b) => a.tsMicros - b.tsMicros);
    const alerts = await detect(writeCapture(frames));
    expect(alerts.map((a) => [a.src_ip, a.details.attempts])).toEqual([
      ['10.9.9.9', 30],
      ['10.9.9.8', 30],
      ['10.9.9.9', 30],
    ]);
  });
});
