// service-center's consumer→provider records (../shared/reference/istio/scoping.md §5),
// read through the same request path as every registry call (auth, failover, breakers,
// retries):
//   - listDependencies: the whole graph in one call, GET /v4/{project}/govern/relations;
//   - listProviders: one consumer's providers, GET .../microservices/{id}/providers.
// Answers are validated here, at the boundary. One malformed node, line or provider is
// reported in `rejected` (the field and value named) and the others are kept; an answer
// that is not the protocol as a whole throws a ValidationError, and a registry that cannot
// be read throws as every read does (RegistryUnavailableError): unreadable is not empty.
//
// What the graph carries (server/service/govern/graph.go): nodes {id, name, appId,
// version}; lines {from: the consumer's node, to: {id, name}} with the provider's appId
// and version left empty, so they are taken from the provider's node. No environment
// anywhere: a caller needing it joins by serviceId with listServices(). Dependencies are
// kept by provider *name*, so every version of a provider is listed.
import { z } from 'zod';
import { MicroServiceSchema, type MicroService } from '../model/registry.ts';
import { parseOrThrow, toValidationError, describeValue } from '../model/validation.ts';
import { ErrorCodes, isRegistryError } from './errors.ts';
import type { RegistryHttp } from './registry-http.ts';

/** One service as the graph names it (one version: one serviceId). */
export interface DependencyService {
  serviceId: string;
  appId: string;
  serviceName: string;
  version: string;
}

export interface ConsumerDependencies extends DependencyService {
  /** every provider service (each version on its own), in the answer's order, no duplicates */
  providers: DependencyService[];
}

export interface RejectedDependency {
  /** where in the answer: `lines[3]`, `nodes[0]`, `providers[1]` */
  where: string;
  /** the field, the problem and the value, e.g. `lines[3].to.id: ... (got "")` */
  reason: string;
}

export interface DependencyGraph {
  /** consumer serviceId → its providers; only services with at least one provider */
  consumers: Map<string, ConsumerDependencies>;
  /** every service the answer lists as a node, by serviceId */
  services: Map<string, DependencyService>;
  rejected: RejectedDependency[];
}

export type ProvidersResult =
  | { found: true; consumerId: string; providers: MicroService[]; rejected: RejectedDependency[] }
  /** the registry does not know this consumer (400012): not a read failure */
  | { found: false; consumerId: string; message: string };

const NodeSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  appId: z.string().min(1),
  version: z.string().min(1),
});

const LineSchema = z.looseObject({
  from: NodeSchema,
  to: z.looseObject({ id: z.string().min(1), name: z.string().optional() }),
});

// Go encodes an empty slice as null; a conforming server sends all three keys.
const GraphShape = z.looseObject({
  nodes: z.array(z.unknown()).nullish(),
  lines: z.array(z.unknown()).nullish(),
  circles: z.array(z.unknown()).nullish(),
});

const ProvidersShape = z.looseObject({ providers: z.array(z.unknown()).nullish() });

function serviceOf(node: z.infer<typeof NodeSchema>): DependencyService {
  return { serviceId: node.id, appId: node.appId, serviceName: node.name, version: node.version };
}

/** The relations answer as a graph; throws a ValidationError only when the whole answer is not one. */
export function parseRelations(input: unknown): DependencyGraph {
  const shape = parseOrThrow(GraphShape, input, 'relations');
  const graph: DependencyGraph = { consumers: new Map(), services: new Map(), rejected: [] };
  (shape.nodes ?? []).forEach((raw, i) => {
    const parsed = NodeSchema.safeParse(raw);
    if (!parsed.success) {
      graph.rejected.push({ where: `nodes[${i}]`, reason: toValidationError(parsed.error, raw, `nodes[${i}]`).message });
      return;
    }
    if (graph.services.has(parsed.data.id)) {
      graph.rejected.push({ where: `nodes[${i}]`, reason: `nodes[${i}].id: listed twice (got ${describeValue(parsed.data.id)})` });
      return;
    }
    graph.services.set(parsed.data.id, serviceOf(parsed.data));
  });
  (shape.lines ?? []).forEach((raw, i) => {
    const where = `lines[${i}]`;
    const parsed = LineSchema.safeParse(raw);
    if (!parsed.success) {
      graph.rejected.push({ where, reason: toValidationError(parsed.error, raw, where).message });
      return;
    }
    const { from, to } = parsed.data;
    // the server leaves self-dependencies out already (noSelf); a line to itself adds nothing
    if (to.id === from.id) return;
    const provider = graph.services.get(to.id);
    if (provider === undefined) {
      graph.rejected.push({ where, reason: `${where}.to.id: not a node of this answer, so the provider's appId and version are unknown (got ${describeValue(to.id)})` });
      return;
    }
    let consumer = graph.consumers.get(from.id);
    if (consumer === undefined) graph.consumers.set(from.id, (consumer = { ...serviceOf(from), providers: [] }));
    if (!consumer.providers.some((p) => p.serviceId === provider.serviceId)) consumer.providers.push(provider);
  });
  return graph;
}

/** The providers answer; one malformed entry is rejected, the others kept. */
export function parseProviders(consumerId: string, input: unknown): ProvidersResult {
  const shape = parseOrThrow(ProvidersShape, input, 'providers answer');
  const result: ProvidersResult = { found: true, consumerId, providers: [], rejected: [] };
  (shape.providers ?? []).forEach((raw, i) => {
    const parsed = MicroServiceSchema.safeParse(raw);
    if (parsed.success) result.providers.push(parsed.data);
    else result.rejected.push({ where: `providers[${i}]`, reason: toValidationError(parsed.error, raw, `providers[${i}]`).message });
  });
  return result;
}

export async function listDependencies(http: RegistryHttp, options: { signal?: AbortSignal } = {}): Promise<DependencyGraph> {
  const answer = await http.request({
    method: 'GET',
    path: `/v4/${encodeURIComponent(http.project)}/govern/relations`,
    idempotent: true,
    signal: options.signal,
  });
  return parseRelations(answer.json ?? {});
}

/**
 * One consumer's providers (every version of each provider name), with `noSelf=1` by
 * default so the answer agrees with listDependencies.
 */
export async function listProviders(http: RegistryHttp, consumerId: string, options: { signal?: AbortSignal; noSelf?: boolean } = {}): Promise<ProvidersResult> {
  let json: unknown;
  try {
    const answer = await http.request({
      method: 'GET',
      path: `/v4/${encodeURIComponent(http.project)}/registry/microservices/${encodeURIComponent(consumerId)}/providers`,
      query: { noSelf: options.noSelf === false ? undefined : '1' },
      idempotent: true,
      signal: options.signal,
    });
    json = answer.json;
  } catch (error) {
    if (isRegistryError(error, ErrorCodes.serviceNotExists)) return { found: false, consumerId, message: error.message };
    throw error;
  }
  return parseProviders(consumerId, json ?? {});
}
