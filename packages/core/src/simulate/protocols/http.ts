/**
 * HTTP/1.1 messages (RFC 9112) with the headers browsers, package managers
 * and servers send, so that the request line and headers fill a flow's
 * first payload bytes as they do on a real network.
 * @module
 */
import { concatBytes } from '../../bytes.js';
import type { Rng } from '../random.js';

const enc = new TextEncoder();

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
];

export interface HttpRequest {
  method: string;
  host: string;
  path: string;
  headers?: [string, string][];
  body?: Uint8Array | string;
}

export function httpRequest(r: HttpRequest): Uint8Array {
  const body = typeof r.body === 'string' ? enc.encode(r.body) : r.body;
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${r.host}`, ...(r.headers ?? []).map(([k, v]) => `${k}: ${v}`)];
  if (body) lines.push(`Content-Length: ${body.length}`);
  const head = enc.encode(lines.join('\r\n') + '\r\n\r\n');
  return body ? concatBytes(head, body) : head;
}

/** The headers a browser sends with a page or resource request. */
export function browserHeaders(userAgent: string, accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'): [string, string][] {
  return [
    ['User-Agent', userAgent],
    ['Accept', accept],
    ['Accept-Language', 'en-GB,en;q=0.9'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Connection', 'keep-alive'],
  ];
}

const REASONS: Record<number, string> = {
  200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export interface HttpResponse {
  status: number;
  /** Seconds since the epoch, for the Date header. */
  date: number;
  server?: string;
  contentType?: string;
  body: Uint8Array;
  /** Content-Length when `body` is only the start of what is sent (a large body sent as bulk data). */
  contentLength?: number;
}

export function httpResponse(r: HttpResponse): Uint8Array {
  const lines = [
    `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? 'OK'}`,
    `Date: ${new Date(r.date * 1000).toUTCString()}`,
    `Server: ${r.server ?? 'nginx/1.22.1'}`,
    ...(r.contentType ? [`Content-Type: ${r.contentType}`] : []),
    `Content-Length: ${r.contentLength ?? r.body.length}`,
  ];
  return concatBytes(enc.encode(lines.join('\r\n') + '\r\n\r\n'), r.body);
}

const WORDS = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their'.split(' ');

/** An HTML page of about `size` bytes: markup and words, as compressible as a real one. */
export function htmlPage(rng: Rng, size: number, title: string): Uint8Array {
  let html = `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title>\n<link rel="stylesheet" href="/static/site.css"></head>\n<body>\n`;
  while (html.length < size - 20) {
    let p = '<p>';
    for (let i = rng.int(20, 60); i > 0; i--) p += rng.pick(WORDS) + ' ';
    html += p.trimEnd() + '.</p>\n';
  }
  return enc.encode((html + '</body></html>\n').slice(0, Math.max(size, 0)));
}

