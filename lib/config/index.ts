// sc2mesh configuration: one schema for every command, function and the watcher.
// Layers: flags > SC2MESH_* environment > config file (--config / SC2MESH_CONFIG) > defaults.
export { loadConfig, configFromLambdaEnv, type LoadConfigOptions } from './load.ts';
export { describeConfig } from './describe.ts';
export { addConfigFlags, flagsToConfigInput, type ConfigFlagSection } from './flags.ts';
export { ConfigError, REDACTED, type ConfigSource, type Origin } from './errors.ts';
export { configOrigin } from './provenance.ts';
export { configReferenceMarkdown } from './reference.ts';
export { managedKinds, writerNamespaces } from './managed-kinds.ts';
export { CONFIG_KEYS, CONFIG_FILE_ENV, CONFIG_FILE_FLAG, envNameOf, type ConfigKey } from './keys.ts';
export {
  DEFAULT_CONFIG,
  KUBE_MODES,
  LOG_LEVELS,
  type Sc2meshConfig,
  type RegistrySettings,
  type KubeSettings,
  type KubeMode,
  type EksSettings,
  type StateSettings,
  type QueueSettings,
  type SyncSettings,
  type AuditSettings,
  type GovernanceSettings,
  type ServerSettings,
  type LogSettings,
  type ConfigLogLevel,
} from './schema.ts';
