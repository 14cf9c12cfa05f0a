// The marks that make an object sc2mesh's own. sc2mesh never changes or deletes an
// object that lacks them, and prunes only objects of its own source, so two deployments
// syncing two registries into one cluster never delete each other's entries.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'sc2mesh';
/** Names the registry (deployment) an object came from. */
export const SOURCE_LABEL = 'sc2mesh.io/source';
/** Groups every object of one service (its ServiceEntry name). */
export const SERVICE_LABEL = 'sc2mesh.io/service';

/**
 * On a Sidecar sc2mesh owns: the consumer whose workloads it selects (its object name, as
 * SERVICE_LABEL names a provider). Sidecars are per consumer and carry no SERVICE_LABEL.
 */
export const CONSUMER_LABEL = 'sc2mesh.io/consumer';

/** Audit shard (0..59) of the object's service: lets the drift audit list a slice by label. */
export const SHARD_LABEL = 'sc2mesh.io/shard';

/** Hash of the object's desired content, so drift is visible from metadata alone. */
export const CONTENT_HASH_ANNOTATION = 'sc2mesh.io/content-hash';
/** `environment/appId/serviceName` of the registry service. */
export const SERVICE_KEY_ANNOTATION = 'sc2mesh.io/service-key';
/** Comma-separated registry serviceIds (one per version) behind a ServiceEntry. */
export const SERVICE_IDS_ANNOTATION = 'sc2mesh.io/service-ids';
/** `environment/appId/serviceName` of the consumer behind a Sidecar. */
export const CONSUMER_KEY_ANNOTATION = 'sc2mesh.io/consumer-key';
/** Registry instanceId behind a WorkloadEntry. */
export const INSTANCE_ID_ANNOTATION = 'sc2mesh.io/instance-id';

export interface Ownership {
  managedBy: string;
  source: string;
}

export function isOwnedBy(labels: Readonly<Record<string, string>> | undefined, source: string): boolean {
  return labels !== undefined && labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && labels[SOURCE_LABEL] === source;
}

/** Label selector for every object of one source. */
export function ownedSelector(source: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${SOURCE_LABEL}=${source}`;
}
