/**
 * threat_intel: the list format and its errors, address matching against a
 * brute-force reference over thousands of prefixes, domain suffixes on label
 * boundaries, the DNS question parser on cut and hostile bytes, and alerts on
 * synthetic and corpus traffic.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type Alert, Capture, DEFAULT_DETECTION, DetectionSession, toEve } from '@mommynet/core';
import { seededRandom, tcpSession, udpExchange } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { dnsQueryName, ThreatIntelDetector } from '../packages/core/src/detect/detectors/threat-intel.js';
import { IndicatorSet, loadIndicators, parseIndicators } from '../packages/core/src/detect/indicators.js';
import { parseIpv4, parseIpv6 } from '../packages/core/src/net/address-set.js';
import { corpusCapture, haveCorpus } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'mommy-intel-'));
let files = 0;
function list(text: string): string {
  const path = join(tmp, `list-${files++}.txt`);
  writeFileSync(path, text);
  return path;
}

async function detect(path: string, options: ConstructorParameters<typeof ThreatIntelDetector>[1]): Promise<Alert[]> {
  const session = new DetectionSession({ detectors: [new ThreatIntelDetector(DEFAULT_DETECTION, options)] });
  for await (const batch of Capture.openFile(path)) session.observe(batch);
  return session.finish();
}

/** A DNS query message (RFC 1035 section 4.1) for `name`, type A. */
function dnsQuery(name: string, id = 0x1234): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return Uint8Array.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

function tcpDns(message: Uint8Array): Uint8Array {
  return Uint8Array.from([message.length >> 8, message.length & 255, ...message]);
}

const session = (client: string, server: string, port: number, i = 0) =>
  tcpSession({ client, server, clientPort: 40000 + i, serverPort: port, exchanges: [{ fromClient: true, payload: new TextEncoder().encode('hello') }] });

describe('indicator lists', () => {
  it('read addresses, prefixes and domains, with comments and blank lines', () => {
    const set = parseIndicators(
      [
        '# FireHOL-style header',
        '',
        '203.0.113.7',
        '198.51.100.0/24   ; SBL123 (Spamhaus DROP style)',
        '10.1.2.3/8 # host bits are ignored',
        '2001:DB8::1',
        '2001:db8:ff00::/40',
        '*.Evil.Example.',
        '   ',
        'c2.test\r',
      ].join('\n'),
      'intel.txt',
    );
    expect(set.size).toBe(7);
    expect(set.matchIp('203.0.113.7')).toMatchObject({ indicator: '203.0.113.7', kind: 'ip', file: 'intel.txt', line: 3, severity: 2 });
    expect(set.matchIp('198.51.100.200')).toMatchObject({ indicator: '198.51.100.0/24', kind: 'cidr', line: 4 });
    expect(set.matchIp('10.200.0.1')).toMatchObject({ indicator: '10.0.0.0/8', line: 5 });
    expect(set.matchIp('2001:db8:0:0::1')).toMatchObject({ indicator: '2001:db8::1', kind: 'ip' });
    expect(set.matchIp('2001:db8:ff12:3::9')).toMatchObject({ indicator: '2001:db8:ff00::/40' });
    expect(set.matchDomain('www.evil.example')).toMatchObject({ indicator: 'evil.example', kind: 'domain', line: 8 });
    expect(set.matchDomain('C2.TEST.')).toMatchObject({ indicator: 'c2.test', line: 10 });
    expect(set.matchIp('203.0.113.8')).toBeUndefined();
    expect(set.matchIp('2001:db8::2')).toBeUndefined();
  });

  it.each([
    ['300.1.2.3', /bad\.txt:3: '300\.1\.2\.3' is not an IP address, CIDR prefix or domain/],
    ['10.0.0.0/33', /bad\.txt:3: '10\.0\.0\.0\/33'/],
    ['2001:db8::/129', /bad\.txt:3:/],
    ['1.2.3', /bad\.txt:3: '1\.2\.3'/],
    ['2001:db8::1::2', /bad\.txt:3:/],
    ['evil.example/24', /bad\.txt:3:/],
    ['http://evil.example/x', /bad\.txt:3:/],
    ['-evil.example', /bad\.txt:3:/],
    ['0.0.0.0 evil.example', /bad\.txt:3: more than one field/],
  ])('refuse %j with the file and line', (line, message) => {
    expect(() => parseIndicators(`# list\n192.0.2.1\n${line}\n`, 'bad.txt')).toThrow(message);
  });

  it('name an unreadable list, and check severities', () => {
    expect(() => loadIndicators([join(tmp, 'absent.txt')])).toThrow(/cannot read indicator list .*absent\.txt/);
    expect(() => loadIndicators([{ path: list('192.0.2.1\n'), severity: 7 as 1 }])).toThrow(RangeError);
    expect(() => new ThreatIntelDetector(DEFAULT_DETECTION, { lists: [list('ok.example\n999.1.1.1\n')] })).toThrow(/list-\d+\.txt:2:/);
  });

  it('keep the more severe entry when lists repeat an indicator', () => {
    const set = loadIndicators([list('192.0.2.1\n'), { path: list('# c2\n192.0.2.1\n'), severity: 1 }]);
    expect(set.size).toBe(1);
    expect(set.matchIp('192.0.2.1')).toMatchObject({ severity: 1, line: 2 });
  });

  it('match the most specific prefix, IPv4-mapped IPv6 too', () => {
    const set = parseIndicators('0.0.0.0/0\n10.0.0.0/8\n10.1.0.0/16\n10.1.2.3\n::/0\n', 'x');
    expect(set.matchIp('10.1.2.3')!.indicator).toBe('10.1.2.3');
    expect(set.matchIp('10.1.9.9')!.indicator).toBe('10.1.0.0/16');
    expect(set.matchIp('10.9.9.9')!.indicator).toBe('10.0.0.0/8');
    expect(set.matchIp('192.0.2.1')!.indicator).toBe('0.0.0.0/0');
    expect(set.matchIp('2001:db8::1')!.indicator).toBe('::/0');
    const v4only = parseIndicators('10.1.0.0/16\n', 'x');
    expect(v4only.matchIp('::ffff:10.1.2.3')!.indicator).toBe('10.1.0.0/16');
    expect(v4only.matchIp('not-an-ip')).toBeUndefined();
  });

  it('agree with a brute-force matcher over thousands of prefixes, one probe per prefix length', () => {
    const random = seededRandom(7);
    const u32 = () => Math.floor(random() * 2 ** 32);
    const v4: { net: number; len: number; text: string }[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const len = 8 + Math.floor(random() * 25); // 8..32
      const addr = u32();
      const text = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;
      v4.push({ net: len === 0 ? 0 : addr >>> (32 - len), len, text });
      lines.push(text);
    }
    const v6: { net: bigint; len: number }[] = [];
    for (let i = 0; i < 2000; i++) {
      const len = 16 + Math.floor(random() * 113); // 16..128
      const words = Array.from({ length: 8 }, () => Math.floor(random() * 65536));
      // Share a /16 so that prefixes actually overlap and cover the probes.
      words[0] = 0x2001;
      const text = `${words.map((w) => w.toString(16)).join(':')}/${len}`;
      v6.push({ net: parseIpv6(text.split('/')[0]!)! >> BigInt(128 - len), len });
      lines.push(text);
    }
    const set = parseIndicators(lines.join('\n'), 'big.txt');
    expect(set.prefixLengths.v4).toBeLessThanOrEqual(25);
    expect(set.prefixLengths.v6).toBeLessThanOrEqual(113);

    const brute4 = (a: number) => Math.max(-1, ...v4.filter((p) => a >>> (32 - p.len) === p.net).map((p) => p.len));
    const brute6 = (a: bigint) => Math.max(-1, ...v6.filter((p) => a >> BigInt(128 - p.len) === p.net).map((p) => p.len));
    let hits = 0;
    for (let i = 0; i < 3000; i++) {
      // Half the probes inside a listed prefix, half anywhere.
      const base = i % 2 === 0 ? parseIpv4(v4[Math.floor(random() * v4.length)]!.text.split('/')[0]!)! : u32();
      const a = (base ^ Math.floor(random() * 256)) >>> 0;
      const ip = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      const want = brute4(a);
      const got = set.matchIp(ip);
      expect(got ? Number(got.indicator.split('/')[1]) : -1, ip).toBe(want);
      if (got) hits++;
    }
    for (let i = 0; i < 1000; i++) {
      const words = Array.from({ length: 8 }, () => Math.floor(random() * 65536));
      words[0] = 0x2001;
      const ip = words.map((w) => w.toString(16)).join(':');
      const got = set.matchIp(ip);
      expect(got ? Number(got.indicator.split('/')[1]) : -1, ip).toBe(brute6(parseIpv6(ip)!));
    }
    expect(hits).toBeGreaterThan(1000);
  });

  it('match domains on label boundaries', () => {
    const set = parseIndicators('evil.example\nbad-domain.test\n', 'd');
    expect(set.matchDomain('evil.example')?.indicator).toBe('evil.example');
    expect(set.matchDomain('a.b.EVIL.example.')?.indicator).toBe('evil.example');
    expect(set.matchDomain('notevil.example')).toBeUndefined();
    expect(set.matchDomain('evil.example.com')).toBeUndefined();
    expect(set.matchDomain('example')).toBeUndefined();
    expect(set.matchDomain('x.bad-domain.test')?.indicator).toBe('bad-domain.test');
  });
});

describe('the DNS question', () => {
  it('is read from UDP and TCP messages', () => {
    expect(dnsQueryName(dnsQuery('WWW.Evil.Example'), false)).toBe('www.evil.example');
    expect(dnsQueryName(tcpDns(dnsQuery('a.c2.test')), true)).toBe('a.c2.test');
  });

  it('is refused when cut short, compressed, malformed or not a query', () => {
    const q = dnsQuery('www.evil.example');
    for (let n = 0; n < q.length - 4; n++) expect(dnsQueryName(q.subarray(0, n), false), `cut at ${n}`).toBeUndefined();
    const pointer = Uint8Array.from([...q.subarray(0, 12), 0xc0, 0x0c]);
    expect(dnsQueryName(pointer, false)).toBeUndefined();
    const noQuestion = Uint8Array.from(q);
    noQuestion[5] = 0;
    expect(dnsQueryName(noQuestion, false)).toBeUndefined();
    const update = Uint8Array.from(q);
    update[2] = 5 << 3; // opcode UPDATE
    expect(dnsQueryName(update, false)).toBeUndefined();
    const dotted = Uint8Array.from([...q.subarray(0, 12), 3, 0x61, 0x2e, 0x62, 0]);
    expect(dnsQueryName(dotted, false)).toBeUndefined();
    const overlong = Uint8Array.from([...q.subarray(0, 12), ...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat(), 0]);
    expect(dnsQueryName(overlong, false)).toBeUndefined();
    expect(dnsQueryName(new Uint8Array(0), true)).toBeUndefined();
  });
});

describe('on synthetic flows', () => {
  const intel = () =>
    list(['# test list', '203.0.113.7', '198.51.100.0/24', '2001:db8:bad::/48', 'evil.example', ''].join('\n'));

  it('alerts on a listed address, a prefix and a listed domain; nothing for the rest', async () => {
    const frames = [
      ...session('10.0.0.5', '203.0.113.7', 443, 0),
      ...session('10.0.0.5', '203.0.113.7', 443, 1), // same indicator, same host: same episode
      ...session('10.0.0.6', '198.51.100.42', 80, 2),
      ...session('10.0.0.5', '192.0.2.99', 443, 3), // unlisted
      ...udpExchange({ client: '10.0.0.7', server: '10.0.0.53', clientPort: 5000, serverPort: 53, requests: [dnsQuery('cdn.Evil.example')] }),
      ...udpExchange({ client: '10.0.0.7', server: '10.0.0.53', clientPort: 5001, serverPort: 53, requests: [dnsQuery('notevil.example')] }),
      ...tcpSession({ client: '10.0.0.8', server: '10.0.0.53', clientPort: 5002, serverPort: 53, exchanges: [{ fromClient: true, payload: tcpDns(dnsQuery('evil.example')) }] }),
      ...session('2001:db8:1::5', '2001:db8:bad:1::9', 443, 4),
    ];
    const alerts = await detect(writeCapture(frames), { lists: [intel()] });
    const byIndicator = alerts.map((a) => [a.details.indicator, a.details.local_host, a.details.flows, a.severity]).sort();
    expect(byIndicator).toEqual([
      ['198.51.100.0/24', '10.0.0.6', 1, 2],
      ['2001:db8:bad::/48', '2001:db8:1::5', 1, 2],
      ['203.0.113.7', '10.0.0.5', 2, 2],
      ['evil.example', '10.0.0.7', 1, 2],
      ['evil.example', '10.0.0.8', 1, 2],
    ]);
    const ip = alerts.find((a) => a.details.indicator === '203.0.113.7')!;
    expect(ip).toMatchObject({ category: 'threat_intel', detector: 'threat_intel', src_ip: '10.0.0.5', dst_ip: '203.0.113.7', dst_port: 443, proto: 6 });
    expect(ip.details).toMatchObject({ indicator_kind: 'ip', direction: 'outbound', matched: ['203.0.113.7'], list_line: 2 });
    expect(ip.message).toMatch(/^threat intel: 10\.0\.0\.5 contacted 203\.0\.113\.7, listed in .*list-\d+\.txt line 2$/);
    expect((ip.details.sample_flows as string[]).length).toBe(2);
    const dns = alerts.find((a) => a.details.local_host === '10.0.0.7')!;
    expect(dns).toMatchObject({ src_ip: '10.0.0.7', dst_ip: '10.0.0.53', dst_port: 53, proto: 17 });
    expect(dns.details).toMatchObject({ indicator_kind: 'domain', direction: 'query', matched: ['cdn.evil.example'] });
    expect(dns.message).toMatch(/^threat intel: 10\.0\.0\.7 looked up cdn\.evil\.example, listed as evil\.example in .* line 5$/);
    expect(toEve(dns)).toMatchObject({ event_type: 'alert', alert: { category: 'threat_intel', severity: 2 } });
  });

  it('names the listed side as the source when it connects in', async () => {
    const alerts = await detect(writeCapture(session('198.51.100.9', '10.0.0.5', 22)), { lists: [intel()] });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ src_ip: '198.51.100.9', dst_ip: '10.0.0.5', dst_port: 22 });
    expect(alerts[0]!.details).toMatchObject({ direction: 'inbound', local_host: '10.0.0.5', indicator: '198.51.100.0/24' });
    expect(alerts[0]!.message).toContain('198.51.100.9 contacted 10.0.0.5, listed as 198.51.100.0/24 in ');
  });

  it('uses the severity configured for a list', async () => {
    const alerts = await detect(writeCapture(session('10.0.0.5', '203.0.113.7', 443)), { lists: [{ path: intel(), severity: 1 }] });
    expect(alerts.map((a) => a.severity)).toEqual([1]);
  });

  it('opens a new episode after a quiet gap', async () => {
    const t0 = 1_700_000_000_000_000;
    const stamp = (frames: Uint8Array[], start: number) => frames.map((frame, i) => ({ tsMicros: start + i * 1000, frame }));
    const frames = [...stamp(session('10.0.0.5', '203.0.113.7', 443, 0), t0), ...stamp(session('10.0.0.5', '203.0.113.7', 443, 1), t0 + 3_600_000_000)];
    expect((await detect(writeCapture(frames), { lists: [intel()] })).map((a) => a.details.flows)).toEqual([1, 1]);
  });

  it('is silent without lists', async () => {
    expect(await detect(writeCapture(session('10.0.0.5', '203.0.113.7', 443)), {})).toEqual([]);
    expect(await detect(writeCapture(session('10.0.0.5', '203.0.113.7', 443)), { indicators: new IndicatorSet() })).toEqual([]);
  });
});


describe.skipIf(!haveCorpus)('on the corpus', () => {
  it('finds lookups of a listed domain and connections to a listed resolver (cs_http_espn)', async () => {
    const path = corpusCapture('cs_http_espn.pcapng');
    if (!path) return;
    const alerts = await detect(path, { lists: [list('espn.go.com\n4.2.2.1\n')] });
    const domain = alerts.find((a) => a.details.indicator === 'espn.go.com')!;
    expect(domain.details).toMatchObject({ local_host: '172.16.0.122', direction: 'query' });
    expect(domain.details.matched).toEqual(expect.arrayContaining(['espn.go.com', 'adsatt.espn.go.com']));
    expect(domain.details.flows as number).toBeGreaterThan(5);
    expect(alerts.find((a) => a.details.indicator === '4.2.2.1')!.details).toMatchObject({ local_host: '172.16.0.122', direction: 'outbound' });
    expect(alerts).toHaveLength(2);
  });

  it('reads questions from TCP responses over IPv6 (malcolm_DNS starts mid-conversation)', async () => {
    const path = corpusCapture('malcolm_DNS.pcap');
    if (!path) return;
    const alerts = await detect(path, { lists: [list('ripe.net\n')] });
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) for (const q of a.details.matched as string[]) expect(q).toMatch(/(^|\.)ripe\.net$/);
    expect(alerts.map((a) => a.details.local_host)).toContain('192.168.120.22');
  });

  it('raises nothing for a list that names none of its hosts', async () => {
    const path = corpusCapture('malcolm_DNS.pcap');
    if (!path) return;
    expect(await detect(path, { lists: [list('192.0.2.0/24\n2001:db8::/32\nevil.example\n')] })).toEqual([]);
  });
});
