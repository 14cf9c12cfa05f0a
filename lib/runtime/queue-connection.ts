// The SQS work queue from configuration (the push function and the watcher).
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Sc2meshConfig } from '../config/index.ts';
import { createSqsQueue } from '../queue/sqs-queue.ts';
import type { WorkQueue } from '../queue/work-queue.ts';

/** SQS queue URL: configured, or built from the queue name, the region and the account id of the caller (a Lambda ARN). */
export function queueUrlOf(config: Sc2meshConfig, region: string, accountId: string | undefined): string {
  if (config.queue.url !== '') return config.queue.url;
  if (config.queue.name === '' || accountId === undefined) throw new Error('queue.url (SC2MESH_QUEUE_URL) or queue.name (SC2MESH_QUEUE_NAME) with a known account is required');
  return `https://sqs.${region}.amazonaws.com/${accountId}/${config.queue.name}`;
}

export function createQueue(config: Sc2meshConfig, queueUrl: string): { queue: WorkQueue; close: () => void } {
  const client = new SQSClient({
    ...(config.queue.region === '' ? {} : { region: config.queue.region }),
    ...(config.queue.endpoint === '' ? {} : { endpoint: config.queue.endpoint }),
  });
  return { queue: createSqsQueue({ client, queueUrl }), close: () => client.destroy() };
}
