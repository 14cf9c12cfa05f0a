import { describe, it, expect } from '@jest/globals';
import { startOpsServer } from './ops-server.ts';
import { PipelineMetrics } from '../pipeline/metrics.ts';

describe('ops server', () => {
  it('serves health (200/503) and Prometheus metrics', async () => {
    let ok = true;
    const metrics = new PipelineMetrics();
    metrics.add('objects_applied', 3);
    metrics.observeLatency(800);
    const server = await startOpsServer({ host: '127.0.0.1', port: 0, health: () => ({ ok, details: { sockets: 2 } }), metrics: () => metrics.toPrometheus({ watch_sockets: 2 }) });
    try {
      const healthy = await fetch(`${server.url}/healthz`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toEqual({ ok: true, sockets: 2 });
      ok = false;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('sc2mesh_objects_applied_total 3');
      expect(text).toContain('sc2mesh_push_latency_ms{quantile="0.99"} 800');
      expect(text).toContain('sc2mesh_watch_sockets 2');
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('serves status, diff and resync only with the bearer token, and resync only on POST', async () => {
    const calls: { dryRun: boolean; force: boolean }[] = [];
    const server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      health: () => ({ ok: true, details: {} }),
      metrics: () => '',
      api: { token: 't0k3n', status: async (runs) => ({ runs }), reconcile: async (o) => (calls.push(o), { done: true }) },
    });
    const auth = { authorization: 'Bearer t0k3n' };
    try {
      expect((await fetch(`${server.url}/v1/status`)).status).toBe(401);
      expect((await fetch(`${server.url}/v1/resync`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect(await (await fetch(`${server.url}/v1/status?runs=3`, { headers: auth })).json()).toEqual({ runs: 3 });
      expect((await fetch(`${server.url}/v1/resync?force=true`, { headers: auth })).status).toBe(405);
      expect(calls).toEqual([]);
      expect((await fetch(`${server.url}/v1/resync?force=true`, { method: 'POST', headers: auth })).status).toBe(200);
      expect((await fetch(`${server.url}/v1/diff`, { headers: auth })).status).toBe(200);
      expect(calls).toEqual([{ dryRun: false, force: true }, { dryRun: true, force: false }]);
    } finally {
      await server.close();
    }
  });
});
