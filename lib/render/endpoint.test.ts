import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { addressOf, newEndpointScan, parseEndpoint, parseEndpointFully, protocolFor, sameAddress, scanEndpoint } from './endpoint.ts';

describe('parseEndpoint', () => {
  it.each([
    ['rest://10.0.0.5:8080', '10.0.0.5', 'ipv4', 8080, 'HTTP', 'http-8080'],
    ['rest://10.0.0.5:8443?sslEnabled=true', '10.0.0.5', 'ipv4', 8443, 'HTTPS', 'https-8443'],
    ['rest://10.0.0.5:8443?foo=1&sslEnabled=TRUE', '10.0.0.5', 'ipv4', 8443, 'HTTPS', 'https-8443'],
    ['rest://10.0.0.5:8080?sslEnabled=false', '10.0.0.5', 'ipv4', 8080, 'HTTP', 'http-8080'],
    ['highway://10.0.0.5:7070', '10.0.0.5', 'ipv4', 7070, 'TCP', 'tcp-7070'],
    ['grpc://10.0.0.5:9090', '10.0.0.5', 'ipv4', 9090, 'GRPC', 'grpc-9090'],
    ['h2://10.0.0.5:8081', '10.0.0.5', 'ipv4', 8081, 'HTTP2', 'http2-8081'],
    ['http2://10.0.0.5:8081', '10.0.0.5', 'ipv4', 8081, 'HTTP2', 'http2-8081'],
    ['https://10.0.0.5:443', '10.0.0.5', 'ipv4', 443, 'HTTPS', 'https-443'],
    ['dubbo://10.0.0.5:20880', '10.0.0.5', 'ipv4', 20880, 'TCP', 'tcp-20880'],
    ['rest://[fd00::5]:8080', 'fd00::5', 'ipv6', 8080, 'HTTP', 'http-8080'],
    ['rest://[FD00::A]:8080', 'fd00::a', 'ipv6', 8080, 'HTTP', 'http-8080'],
    ['rest://Orders-1.Example.COM:8080/api', 'orders-1.example.com', 'hostname', 8080, 'HTTP', 'http-8080'],
    ['REST://10.0.0.5:8080', '10.0.0.5', 'ipv4', 8080, 'HTTP', 'http-8080'],
  ])('%s', (raw, address, kind, port, protocol) => {
    const r = parseEndpoint(raw);
    expect(r).toEqual({ ok: true, endpoint: { scheme: raw.split(':')[0]!.toLowerCase(), address, addressKind: kind, port, protocol } });
    expect(parseEndpointFully(raw)).toEqual(r);
  });

  it.each([
    ['10.0.0.5:8080', 'not a URL'],
    ['rest://10.0.0.5', 'has no port'],
    ['rest://10.0.0.5:', 'has no port'],
    ['rest://:8080', 'has no host'],
    ['rest://10.0.0.5:0', 'out of range'],
    ['rest://10.0.0.5:65536', 'out of range'],
    ['rest://10.0.0.5:99999', 'out of range'],
    ['rest://10.0.0.5:80a', 'not a number'],
    ['rest://10.0.0.5:-1', 'not a number'],
    ['rest://[fd00::zz]:8080', 'not an IPv6 address'],
    ['rest://[fe80::1%eth0]:8080', 'not an IPv6 address'],
    ['rest://999.1.1.1:8080', 'neither an IP address nor a DNS name'],
    ['rest://bad_host:8080', 'neither an IP address nor a DNS name'],
    ['rest://0.0.0.0:8080', 'unspecified address'],
    ['rest://[::]:8080', 'unspecified address'],
    ['', 'not a URL'],
  ])('rejects %j', (raw, fragment) => {
    const r = parseEndpoint(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(fragment);
      expect(r.reason).toContain(JSON.stringify(raw));
    }
  });

  it('property: the hand-parsed IPv4 path agrees with the general parser on every input', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('00', '01', '010', '1a', '', '256', '-1'));
    const endpoint = fc
      .record({
        scheme: fc.constantFrom('rest', 'REST', 'Rest', 'highway', 'grpc', 'h2', 'http2', 'r2d2', '2rest', 'a+b', ''),
        sep: fc.constantFrom('://', ':/', '//', ':///'),
        host: fc.oneof(fc.array(octet, { minLength: 3, maxLength: 5 }).map((o) => o.join('.')), fc.constantFrom('0.0.0.0', '10.0.0.1', 'host', '[::1]')),
        port: fc.oneof(fc.integer({ min: -1, max: 70000 }).map((p) => `:${p}`), fc.constantFrom('', ':', ':08080', ':123456', ':80a', ':00001')),
        tail: fc.constantFrom('', '?sslEnabled=true', '?a=1&sslEnabled=TRUE', '?sslEnabled=false', '?x#frag', '#f', '/path', '?', '?sslEnabled=true#x'),
      })
      .map((p) => `${p.scheme}${p.sep}${p.host}${p.port}${p.tail}`);
    fc.assert(
      fc.property(fc.oneof(endpoint, fc.string({ maxLength: 40 })), (raw) => {
        expect(parseEndpoint(raw)).toEqual(parseEndpointFully(raw));
      }),
      { numRuns: 5000 },
    );
  });

  it('property: scanEndpoint (the render hot path) agrees with parseEndpoint on every input', () => {
    const endpoint = fc
      .record({
        scheme: fc.constantFrom('rest', 'REST', 'highway', 'grpc', 'x'),
        host: fc.constantFrom('10.0.0.1', '10.00.0.1', '0.0.0.0', '[fd00::1]', '[FD00::A]', 'Node-1.Example.com', 'bad_host', ''),
        port: fc.constantFrom(':8080', ':0', '', ':80a'),
        tail: fc.constantFrom('', '?sslEnabled=true', '#f', '/p'),
      })
      .map((p) => `${p.scheme}://${p.host}${p.port}${p.tail}`);
    const scan = newEndpointScan();
    fc.assert(
      fc.property(fc.oneof(endpoint, fc.string({ maxLength: 30 })), (raw) => {
        const reason = scanEndpoint(raw, scan);
        const r = parseEndpoint(raw);
        if (!r.ok) expect(reason).toBe(r.reason);
        else {
          expect(reason).toBeUndefined();
          expect({ address: addressOf(scan), addressKind: scan.addressKind, port: scan.port, protocol: scan.protocol }).toEqual({
            address: r.endpoint.address,
            addressKind: r.endpoint.addressKind,
            port: r.endpoint.port,
            protocol: r.endpoint.protocol,
          });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('sameAddress compares the scanned address with another in place', () => {
    const scan = newEndpointScan();
    scanEndpoint('rest://10.0.0.5:8080', scan);
    expect(sameAddress(scan, 'highway://10.0.0.5:7070', 10, 18)).toBe(true);
    expect(sameAddress(scan, 'highway://10.0.0.6:7070', 10, 18)).toBe(false);
    expect(sameAddress(scan, 'highway://10.0.0.55:7070', 10, 19)).toBe(false);
    scanEndpoint('rest://[FD00::A]:8080', scan);
    expect(sameAddress(scan, 'fd00::a', 0, 7)).toBe(true);
  });

  it('never guesses HTTP for binary or unknown protocols', () => {
    for (const scheme of ['highway', 'tcp', 'thrift', 'unknown']) expect(protocolFor(scheme, false)).toBe('TCP');
    for (const scheme of ['highway', 'grpc', 'h2']) expect(protocolFor(scheme, true)).toBe('TLS');
  });
});
