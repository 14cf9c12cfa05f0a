// Reading the render's output for governance: the published service (host, name, ports,
// exportTo from its ServiceEntry) and the DestinationRule to merge a traffic policy into.
import type { DestinationRule } from '../model/istio.ts';
import type { RenderedService } from '../render/render-service.ts';
import type { ServiceGroup } from '../render/service-group.ts';
import type { GovernedService } from './scope.ts';

/** The service as render published it: host, name and ports from its ServiceEntry. */
export function governedServiceOf(rendered: RenderedService, group: ServiceGroup): GovernedService {
  const entry = rendered.objects.find((o) => o.kind === 'ServiceEntry');
  const se = entry?.kind === 'ServiceEntry' ? entry : undefined;
  const ports = se === undefined ? [] : se.spec.ports.map((p) => ({ number: p.number, protocol: p.protocol }));
  return {
    key: rendered.key,
    name: rendered.name,
    host: rendered.host,
    appId: group.parts.appId,
    environment: group.parts.environment,
    serviceName: group.parts.serviceName,
    versions: [...new Set(group.versions.map((v) => v.service.version))].sort(),
    ports,
    exportTo: se?.spec.exportTo,
  };
}

/** The rendered DestinationRule of a service, if render wrote one. */
export function renderedDestinationRule(rendered: RenderedService): DestinationRule | undefined {
  const rule = rendered.objects.find((o) => o.kind === 'DestinationRule');
  return rule?.kind === 'DestinationRule' ? rule : undefined;
}
