// A ServiceComb endpoint URL (`rest://10.0.0.5:8080?sslEnabled=true`) → address, port
// and the Istio protocol. Hand-parsed with one regex: `new URL` costs several times as
// much and this runs once per endpoint of every instance on the render hot path.
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
  /** `<protocol>-<number>`, lower case */
  portName: string;
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

export function parseEndpoint(raw: string): EndpointResult {
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
  return { ok: true, endpoint: { scheme, address: host, addressKind, port, protocol, portName: `${protocol.toLowerCase()}-${port}` } };
}
