// `npm run bench -- footprint`: what sc2mesh's objects cost one mesh proxy for a large
// registry (10,000 services × 3 versions in 20 apps), everything visible against
// exportTo scoped per app, by the estimate `sc2mesh footprint` prints (lib/footprint).
// The MB are estimates from published per-cluster and per-endpoint figures, not measured.
import { performance } from 'node:perf_hooks';
import { estimateFootprint, type ProxyCost } from '../lib/footprint/estimate.ts';
import { parseGovernDump } from '../lib/model/govern-dump.ts';
import { renderRegistry } from '../lib/render/render-registry.ts';
import { resolveRenderOptions } from '../lib/render/options.ts';
import { generateAppRegistry } from '../test/support/registry-generator.ts';

export interface FootprintBench {
  services: number;
  versionsPerService: number;
  apps: number;
  instances: number;
  objects: number;
  allClusters: number;
  allEndpoints: number;
  allEnvoyMb: number;
  allIstioMb: number;
  oneAppServiceEntries: number;
  oneAppClusters: number;
  oneAppEndpoints: number;
  oneAppEnvoyMb: number;
  oneAppIstioMb: number;
  /** everything visible without DestinationRules: what the version subsets add */
  allNoSubsetsClusters: number;
  allNoSubsetsEnvoyMb: number;
  estimateMs: number;
}

const mb = (bytes: number): number => bytes / 1e6;

export async function benchFootprint(options: { services?: number; versions?: number; apps?: number; instancesPerVersion?: number } = {}): Promise<FootprintBench> {
  const services = options.services ?? 10_000;
  const versionsPerService = options.versions ?? 3;
  const apps = options.apps ?? 20;
  const instancesPerVersion = options.instancesPerVersion ?? 3;
  const dump = parseGovernDump(generateAppRegistry({ services, versionsPerService, apps, instancesPerVersion, seed: 14 }));
  const appIds = [...new Set(dump.services.map((d) => d.microService.appId))].sort();
  // each app visible to its own consumers' namespace only
  const exportToByApp = Object.fromEntries(appIds.map((app) => [app, [app]]));
  const scoped = renderRegistry(dump.services, resolveRenderOptions({ destinationRules: true, exportToByApp }));
  const t0 = performance.now();
  const report = estimateFootprint(scoped.objects);
  const estimateMs = performance.now() - t0;
  const all: ProxyCost = report.everythingVisible;
  const one = report.scoped.find((r) => r.namespace === appIds[0]);
  if (one === undefined) throw new Error(`bench footprint: no row for ${String(appIds[0])}`);
  const bare = estimateFootprint(renderRegistry(dump.services, resolveRenderOptions({})).objects).everythingVisible;
  return {
    services,
    versionsPerService,
    apps,
    instances: scoped.published,
    objects: scoped.objects.length,
    allClusters: all.clusters,
    allEndpoints: all.endpoints,
    allEnvoyMb: mb(all.envoyBytes),
    allIstioMb: mb(all.istioBytes),
    oneAppServiceEntries: one.serviceEntries,
    oneAppClusters: one.clusters,
    oneAppEndpoints: one.endpoints,
    oneAppEnvoyMb: mb(one.envoyBytes),
    oneAppIstioMb: mb(one.istioBytes),
    allNoSubsetsClusters: bare.clusters,
    allNoSubsetsEnvoyMb: mb(bare.envoyBytes),
    estimateMs,
  };
}
