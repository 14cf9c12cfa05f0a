// Phase 2 of rendering a service: parse every candidate's endpoints into the service's
// ports and the instances to publish. A bad endpoint on an instance that would be
// published skips that instance only (the design brief: bad data skips the smallest
// unit it spoils), and every bad endpoint is named once.
import type { RenderOptions } from './options.ts';
import type { Candidate } from './candidates.ts';
import { newEndpointScan, sameAddress, scanEndpoint, addressOf, type AddressKind, type IstioProtocol, type ParsedEndpoint } from './endpoint.ts';

export interface PublishedInstance {
  candidate: Candidate;
  address: string;
  addressKind: ParsedEndpoint['addressKind'];
  /** port numbers, ascending; shared between instances with the same single port */
  ports: readonly number[];
  /** `ports` joined by ","; instances with one signature share one ports map */
  signature: string | number;
}

export interface SkippedInstance {
  instanceId: string;
  reason: string;
}

export interface ParsedInstances {
  /** every port of every instance (published or not) with its protocol; a port registered with two protocols is TCP */
  servicePorts: Map<number, IstioProtocol>;
  published: PublishedInstance[];
  /** sorted by instanceId */
  skippedInstances: SkippedInstance[];
}

const byInstanceId = (a: SkippedInstance, b: SkippedInstance): number => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);

/**
 * Ports come from every instance, published or not, so the ServiceEntry stays put while
 * instances flap between UP and DOWN (or in and out of a bad registration).
 */
export function parseInstances(candidates: readonly Candidate[], options: RenderOptions, warnings: string[]): ParsedInstances {
  const servicePorts = new Map<number, IstioProtocol>();
  let conflictingPorts: Set<number> | undefined;
  const published: PublishedInstance[] = [];
  let skippedInstances: SkippedInstance[] | undefined;
  const publish = options.publishStatuses;
  // Most instances have one port; one array per port number instead of one per instance.
  const singlePorts = new Map<number, readonly number[]>();
  // Scratch, reused for every endpoint and instance of the service: nothing is allocated
  // per endpoint, and an address becomes a string only when its instance is published.
  const ports: number[] = [];
  const protocols: IstioProtocol[] = [];
  const scan = newEndpointScan();
  for (const candidate of candidates) {
    const { instance } = candidate;
    const id = instance.instanceId;
    const status = instance.status ?? 'UP';
    const wanted = publish.includes(status);
    // The first usable endpoint's address, as its place in `primarySource`.
    let primaryKind: AddressKind | undefined;
    let primarySource = '';
    let primaryStart = 0;
    let primaryEnd = 0;
    let badReasons: string[] | undefined;
    let count = 0;
    const endpoints = instance.endpoints ?? [];
    for (let e = 0; e < endpoints.length; e++) {
      const raw = endpoints[e] as string;
      const reason = scanEndpoint(raw, scan);
      if (reason !== undefined) {
        if (!wanted) warnings.push(`instance ${id} (not published, status ${status}): ${reason}`);
        else if (badReasons === undefined) badReasons = [reason];
        else if (!badReasons.includes(reason)) badReasons.push(reason);
        continue;
      }
      if (primaryKind === undefined) {
        primaryKind = scan.addressKind;
        primarySource = scan.source;
        primaryStart = scan.start;
        primaryEnd = scan.end;
      } else if (!sameAddress(scan, primarySource, primaryStart, primaryEnd)) {
        const primary = primarySource.slice(primaryStart, primaryEnd);
        warnings.push(`instance ${id}: endpoint ${raw} is on ${addressOf(scan)}, not on the instance's first address ${primary}; a WorkloadEntry has one address, so it is not published`);
        continue;
      }
      const port = scan.port;
      const protocol = scan.protocol;
      let at = -1;
      for (let k = 0; k < count; k++) {
        if (ports[k] === port) {
          at = k;
          break;
        }
      }
      if (at >= 0) {
        if (protocols[at] !== protocol) warnings.push(`instance ${id}: port ${port} is registered as ${protocols[at]} and as ${protocol}; kept ${protocols[at]}`);
        continue;
      }
      ports[count] = port;
      protocols[count] = protocol;
      count++;
      const serviceProtocol = servicePorts.get(port);
      if (serviceProtocol === undefined) servicePorts.set(port, protocol);
      else if (serviceProtocol !== protocol) (conflictingPorts ??= new Set()).add(port);
    }
    if (!wanted) continue;
    if (badReasons !== undefined) {
      (skippedInstances ??= []).push({ instanceId: id, reason: badReasons.join('; ') });
      continue;
    }
    if (primaryKind === undefined) {
      warnings.push(`instance ${id} has no endpoints; nothing to route to, so it is not published`);
      continue;
    }
    let own: readonly number[];
    let signature: string | number;
    if (count === 1) {
      const port = ports[0] as number;
      signature = port;
      let shared = singlePorts.get(port);
      if (shared === undefined) {
        shared = [port];
        singlePorts.set(port, shared);
      }
      own = shared;
    } else if (count === 2) {
      // The usual multi-port instance (rest + highway): ordered by hand, no sort.
      const a = ports[0] as number;
      const b = ports[1] as number;
      own = a < b ? [a, b] : [b, a];
      signature = `${own[0]},${own[1]}`;
    } else {
      own = ports.slice(0, count).sort((a, b) => a - b);
      signature = own.join(',');
    }
    published.push({ candidate, address: primarySource.slice(primaryStart, primaryEnd), addressKind: primaryKind, ports: own, signature });
  }

  for (const port of conflictingPorts ?? []) {
    // Two protocols on one port number: TCP is the one that works for both.
    servicePorts.set(port, 'TCP');
    warnings.push(`port ${port} is registered with different protocols by different instances; published as TCP`);
  }
  return { servicePorts, published, skippedInstances: skippedInstances === undefined ? [] : skippedInstances.sort(byInstanceId) };
}
