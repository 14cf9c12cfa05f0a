// The mass-deletion guard: a run that would delete more than a configured share of the
// objects sc2mesh owns refuses and reports, unless forced. A registry that lost its data
// (or a bad filter) must not empty the mesh.

export interface DeletionGuardConfig {
  /** 0..1; default 0.5 */
  maxDeleteShare: number;
  /** below this many deletions the share is not checked (deleting 1 of 1 is normal) */
  minDeletesToCheck: number;
  force: boolean;
}

export const DEFAULT_DELETION_GUARD: DeletionGuardConfig = { maxDeleteShare: 0.5, minDeletesToCheck: 10, force: false };

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

export function checkDeletions(deletes: number, owned: number, config: DeletionGuardConfig = DEFAULT_DELETION_GUARD): GuardVerdict {
  if (config.force || deletes < config.minDeletesToCheck || owned === 0) return { allowed: true };
  const share = deletes / owned;
  if (share <= config.maxDeleteShare) return { allowed: true };
  return {
    allowed: false,
    reason: `refusing to delete ${deletes} of ${owned} owned objects (${Math.round(share * 100)} % > ${Math.round(config.maxDeleteShare * 100)} %); run with force to allow`,
  };
}
