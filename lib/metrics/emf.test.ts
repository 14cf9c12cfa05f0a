// The EMF document a function invocation produces from its PipelineMetrics: names, units,
// dimensions, and which figures appear only when observed.
import { describe, it, expect } from '@jest/globals';
import { PipelineMetrics } from '../pipeline/metrics.ts';
import { addPipelineFigures, createEmfMetrics, DEFAULT_METRICS_NAMESPACE, FUNCTION_COUNTERS } from './emf.ts';

interface Doc {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

function documentOf(figures: PipelineMetrics, env: NodeJS.ProcessEnv = {}): Doc {
  const emf = createEmfMetrics('push', { env });
  addPipelineFigures(emf, figures);
  const doc = emf.serializeMetrics() as unknown as Doc;
  emf.clearMetrics();
  return doc;
}

describe('function EMF figures', () => {
  it('default namespace and stage; only stage and source as dimensions', () => {
    const doc = documentOf(new PipelineMetrics());
    expect(doc._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: DEFAULT_METRICS_NAMESPACE, Dimensions: [['stage', 'source']] });
    expect(doc).toMatchObject({ stage: 'local', source: 'push' });
    expect(doc).not.toHaveProperty('service');
  });

  it('every counter as a Count, zeros included; no latency or queue age when none was observed', () => {
    const doc = documentOf(new PipelineMetrics(), { POWERTOOLS_METRICS_NAMESPACE: 'ops', METRICS_STAGE: 'prod' });
    expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe('ops');
    expect(doc['stage']).toBe('prod');
    for (const name of Object.values(FUNCTION_COUNTERS)) expect(doc[name]).toBe(0);
    expect(doc._aws.CloudWatchMetrics[0]?.Metrics.every((m) => m.Unit === 'Count')).toBe(true);
    expect(doc).not.toHaveProperty('PushLatency');
    expect(doc).not.toHaveProperty('QueueAge');
  });

  it('one latency value per push, and a queue age of 0 when a message was 0 ms old', () => {
    const figures = new PipelineMetrics();
    figures.add('objects_applied', 3);
    figures.observeLatency(120);
    figures.observeLatency(480);
    figures.lastQueueAgeMs = 0;
    const doc = documentOf(figures);
    expect(doc).toMatchObject({ ObjectsApplied: 3, PushLatency: [120, 480], QueueAge: 0 });
    expect(doc._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({ Name: 'PushLatency', Unit: 'Milliseconds' });
  });
});
