// A kubeconfig for the test server: what the real client (and kubectl) read to reach it.
// Plain HTTP needs `insecure-skip-tls-verify: true` — client-node refuses http otherwise.
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'sc2mesh-test';

export function kubeconfigYaml(server: string, namespace: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: CONTEXT_NAME, user: { token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}
