// A ServiceComb endpoint URL (`rest://10.0.0.5:8080?sslEnabled=true`) → address, port
// and the Istio protocol. Hand-parsed (the common IPv4 form without any regex, the rest
// with one): `new URL` costs several times as much and this runs once per endpoint of
// every instance on the render hot path.
import { isIPv4, isIPv6 } from 'node:net';

export type IstioProtocol = 'HTTP' | 'HTTPS' | 'HTTP2' | 'GRPC' | 'TLS' | 'TCP';
export type AddressKind = 'ipv4' | 'ipv6' | 'hostname';

export interface ParsedEndpoint {
  scheme: string;
  /** address as a WorkloadEntry wants it: IPv6 without brackets, hostnames lower-cased */
  address: string;
  addressKind: AddressKind;
  port: number;
  protocol: IstioProtocol;
}

export type EndpointResult = { ok: true; endpoint: ParsedEndpoint } | { ok: false; reason: string };

const ENDPOINT_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^:/?#[\]]*)(?::([^/?#]*))?(\/[^?#]*)?(?:\?([^#]*))?(?:#.*)?$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const SSL_RE = /(?:^|&)sslEnabled=true(?:&|$)/i;

/**
 * Never guess HTTP for a binary protocol: `highway`, `tcp` and anything unknown are TCP.
 * An endpoint with TLS on (sslEnabled=true) is HTTPS when it speaks HTTP, else TLS: the
 * sidecar sees only ciphertext then.
 */
export function protocolFor(scheme: string, ssl: boolean): IstioProtocol {
  switch (scheme) {
    case 'rest':
    case 'http':
      return ssl ? 'HTTPS' : 'HTTP';
    case 'https':
      return 'HTTPS';
    case 'grpc':
      return ssl ? 'TLS' : 'GRPC';
    case 'h2':
    case 'http2':
    case 'h2c':
      return ssl ? 'TLS' : 'HTTP2';
    default:
      return ssl ? 'TLS' : 'TCP';
  }
}

function unspecified(address: string, kind: AddressKind): boolean {
  return (kind === 'ipv4' && address === '0.0.0.0') || (kind === 'ipv6' && /^[0:]+$/.test(address));
}

const COLON = 58;
const SLASH = 47;
const DOT = 46;
const QUESTION = 63;

/**
 * The shape nearly every registration has, `scheme://a.b.c.d:port` with an optional
 * `?query`, read by hand: no regex match, no substrings besides the address. Anything
 * else (and anything doubtful) returns undefined and goes through the full parser, so
 * both paths agree on every input the fast one accepts.
 */
function scanCommonIPv4(raw: string, out: EndpointScan): boolean {
  const n = raw.length;
  let i = 0;
  let lower = true;
  for (; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 97 && c <= 122) continue;
    if (c >= 65 && c <= 90 && i > 0) {
      lower = false;
      continue;
    }
    if (c >= 48 && c <= 57 && i > 0) continue;
    break;
  }
  if (i === 0 || i + 2 >= n || raw.charCodeAt(i) !== COLON || raw.charCodeAt(i + 1) !== SLASH || raw.charCodeAt(i + 2) !== SLASH) return false;
  const schemeEnd = i;
  const hostStart = i + 3;
  // Four decimal octets 0-255 without leading zeros, as net.isIPv4 demands.
  let at = hostStart;
  let allZero = true;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (raw.charCodeAt(at) !== DOT) return false;
      at++;
    }
    const start = at;
    let value = 0;
    while (at < n) {
      const c = raw.charCodeAt(at);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      at++;
    }
    const digits = at - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && raw.charCodeAt(start) === 48)) return false;
    if (value !== 0) allZero = false;
  }
  if (allZero || raw.charCodeAt(at) !== COLON) return false;
  const hostEnd = at++;
  const portStart = at;
  let port = 0;
  while (at < n) {
    const c = raw.charCodeAt(at);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    at++;
  }
  const portDigits = at - portStart;
  if (portDigits === 0 || portDigits > 5 || port < 1 || port > 65535) return false;
  let ssl = false;
  if (at < n) {
    if (raw.charCodeAt(at) !== QUESTION) return false;
    const query = raw.slice(at + 1);
    // The full parser ends the query at `#`; leave fragments to it.
    if (query.includes('#')) return false;
    ssl = SSL_RE.test(query);
  }
  const scheme = lower ? (knownScheme(raw, schemeEnd) ?? raw.slice(0, schemeEnd)) : raw.slice(0, schemeEnd).toLowerCase();
  out.source = raw;
  out.start = hostStart;
  out.end = hostEnd;
  out.addressKind = 'ipv4';
  out.port = port;
  out.protocol = protocolFor(scheme, ssl);
  return true;
}

function parseCommonIPv4(raw: string): ParsedEndpoint | undefined {
  const scan = newEndpointScan();
  if (!scanCommonIPv4(raw, scan)) return undefined;
  const scheme = raw.slice(0, raw.indexOf(':')).toLowerCase();
  return { scheme, address: addressOf(scan), addressKind: 'ipv4', port: scan.port, protocol: scan.protocol };
}

// ServiceComb's own transports and the usual HTTP ones: one shared string each, no slice.
const KNOWN_SCHEMES = ['rest', 'highway', 'http', 'https', 'grpc', 'h2c', 'h2'];

function knownScheme(raw: string, schemeEnd: number): string | undefined {
  for (const s of KNOWN_SCHEMES) if (s.length === schemeEnd && raw.startsWith(s)) return s;
  return undefined;
}

/**
 * What the render needs of one endpoint, written in place by scanEndpoint so that the
 * hot path allocates nothing per endpoint: the address is `source` from `start` to
 * `end` (the raw endpoint itself in the common IPv4 form, else the normalised address).
 */
export interface EndpointScan {
  source: string;
  start: number;
  end: number;
  addressKind: AddressKind;
  port: number;
  protocol: IstioProtocol;
}

export function newEndpointScan(): EndpointScan {
  return { source: '', start: 0, end: 0, addressKind: 'ipv4', port: 0, protocol: 'TCP' };
}

/** The address of a scan, as parseEndpoint gives it. */
export function addressOf(scan: EndpointScan): string {
  return scan.source.slice(scan.start, scan.end);
}

/** parseEndpoint for the render hot path: fills `out` and returns undefined, or returns why the endpoint is unusable. */
export function scanEndpoint(raw: string, out: EndpointScan): string | undefined {
  if (scanCommonIPv4(raw, out)) return undefined;
  const full = parseEndpointFully(raw);
  if (!full.ok) return full.reason;
  const ep = full.endpoint;
  out.source = ep.address;
  out.start = 0;
  out.end = ep.address.length;
  out.addressKind = ep.addressKind;
  out.port = ep.port;
  out.protocol = ep.protocol;
  return undefined;
}

/** True when two scans name the same address (compared in place, without substrings). */
export function sameAddress(a: EndpointScan, bSource: string, bStart: number, bEnd: number): boolean {
  const n = a.end - a.start;
  if (n !== bEnd - bStart) return false;
  for (let i = 0; i < n; i++) if (a.source.charCodeAt(a.start + i) !== bSource.charCodeAt(bStart + i)) return false;
  return true;
}

export function parseEndpoint(raw: string): EndpointResult {
  const common = parseCommonIPv4(raw);
  return common === undefined ? parseEndpointFully(raw) : { ok: true, endpoint: common };
}

/** The general parser; exported so a test can hold the fast path to it. */
export function parseEndpointFully(raw: string): EndpointResult {
  const m = ENDPOINT_RE.exec(raw);
  if (m === null) return { ok: false, reason: `endpoint ${JSON.stringify(raw)} is not a URL of the form scheme://host:port` };
  const scheme = (m[1] ?? '').toLowerCase();
  let host = m[2] ?? '';
  const portText = m[3];
  if (host === '') return { ok: false, reason: `endpoint ${JSON.stringify(raw)} has no host` };
  if (portText === undefined || portText === '') return { ok: false, reason: `endpoint ${JSON.stringify(raw)} has no port` };
  if (!/^[0-9]{1,5}$/.test(portText)) return { ok: false, reason: `endpoint ${JSON.stringify(raw)}: port ${JSON.stringify(portText)} is not a number` };
  const port = Number(portText);
  if (port < 1 || port > 65535) return { ok: false, reason: `endpoint ${JSON.stringify(raw)}: port ${port} is out of range 1-65535` };

  let addressKind: AddressKind;
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    // Zone ids (fe80::1%eth0) mean nothing outside the registering host.
    if (!isIPv6(host) || host.includes('%')) return { ok: false, reason: `endpoint ${JSON.stringify(raw)}: ${JSON.stringify(host)} is not an IPv6 address` };
    addressKind = 'ipv6';
    host = host.toLowerCase();
  } else if (isIPv4(host)) {
    addressKind = 'ipv4';
  } else {
    host = host.toLowerCase();
    // All-digit labels are a malformed IPv4 address (999.1.1.1), not a DNS name.
    if (!HOSTNAME_RE.test(host) || /^[0-9.]+$/.test(host)) return { ok: false, reason: `endpoint ${JSON.stringify(raw)}: ${JSON.stringify(host)} is neither an IP address nor a DNS name` };
    addressKind = 'hostname';
  }
  if (unspecified(host, addressKind)) return { ok: false, reason: `endpoint ${JSON.stringify(raw)}: ${host} is the unspecified address, not one a client can reach` };

  const protocol = protocolFor(scheme, m[5] !== undefined && SSL_RE.test(m[5]));
  return { ok: true, endpoint: { scheme, address: host, addressKind, port, protocol } };
}
