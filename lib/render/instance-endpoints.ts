// Phase 2 of rendering a service: parse every candidate's endpoints into the service's
// ports and the instances to publish. A bad endpoint on an instance that would be
// published skips that instance only (the design brief: bad data skips the smallest
// unit it spoils), and every bad endpoint is named once.
import type { RenderOptions } from './options.ts';
import type { Candidate } from './candidates.ts';
import { parseEndpointOrReason, type IstioProtocol, type ParsedEndpoint } from './endpoint.ts';

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
  // Scratch lists, reused for every instance of the service.
  const ports: number[] = [];
  const protocols: IstioProtocol[] = [];
  for (const candidate of candidates) {
    const { instance } = candidate;
    const id = instance.instanceId;
    const status = instance.status ?? 'UP';
    const wanted = publish.includes(status);
    let primary: ParsedEndpoint | undefined;
    let badReasons: string[] | undefined;
    ports.length = 0;
    protocols.length = 0;
    for (const raw of instance.endpoints ?? []) {
      const ep = parseEndpointOrReason(raw);
      if (typeof ep === 'string') {
        if (!wanted) warnings.push(`instance ${id} (not published, status ${status}): ${ep}`);
        else if (badReasons === undefined) badReasons = [ep];
        else if (!badReasons.includes(ep)) badReasons.push(ep);
        continue;
      }
      if (primary === undefined) primary = ep;
      else if (ep.address !== primary.address) {
        warnings.push(`instance ${id}: endpoint ${raw} is on ${ep.address}, not on the instance's first address ${primary.address}; a WorkloadEntry has one address, so it is not published`);
        continue;
      }
      const at = ports.indexOf(ep.port);
      if (at >= 0) {
        if (protocols[at] !== ep.protocol) warnings.push(`instance ${id}: port ${ep.port} is registered as ${protocols[at]} and as ${ep.protocol}; kept ${protocols[at]}`);
        continue;
      }
      ports.push(ep.port);
      protocols.push(ep.protocol);
      const serviceProtocol = servicePorts.get(ep.port);
      if (serviceProtocol === undefined) servicePorts.set(ep.port, ep.protocol);
      else if (serviceProtocol !== ep.protocol) (conflictingPorts ??= new Set()).add(ep.port);
    }
    if (!wanted) continue;
    if (badReasons !== undefined) {
      (skippedInstances ??= []).push({ instanceId: id, reason: badReasons.join('; ') });
      continue;
    }
    if (primary === undefined) {
      warnings.push(`instance ${id} has no endpoints; nothing to route to, so it is not published`);
      continue;
    }
    let own: readonly number[];
    let signature: string | number;
    if (ports.length === 1) {
      const port = ports[0] as number;
      signature = port;
      let shared = singlePorts.get(port);
      if (shared === undefined) {
        shared = [port];
        singlePorts.set(port, shared);
      }
      own = shared;
    } else {
      own = ports.slice().sort((a, b) => a - b);
      signature = own.join(',');
    }
    published.push({ candidate, address: primary.address, addressKind: primary.addressKind, ports: own, signature });
  }

  for (const port of conflictingPorts ?? []) {
    // Two protocols on one port number: TCP is the one that works for both.
    servicePorts.set(port, 'TCP');
    warnings.push(`port ${port} is registered with different protocols by different instances; published as TCP`);
  }
  return { servicePorts, published, skippedInstances: skippedInstances === undefined ? [] : skippedInstances.sort(byInstanceId) };
}
