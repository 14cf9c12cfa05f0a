// The three Lambda events, validated at the boundary. A malformed event fails with the
// field and value named; an SQS record that cannot even be identified fails the whole
// batch (Lambda retries it, then the queue's redrive policy moves it to the DLQ).
import { z } from 'zod';
import { parseOrThrow } from '../model/validation.ts';
import type { QueueRecord } from '../queue/work-queue.ts';

/** The schedule's constant input, or a full EventBridge "Scheduled Event". */
const SyncEventSchema = z.looseObject({
  source: z.string().optional(),
  'detail-type': z.string().optional(),
});
export type SyncEvent = z.infer<typeof SyncEventSchema>;

const numericString = z.string().regex(/^[0-9]+$/, 'must be a decimal number as a string');

const SqsRecordSchema = z.looseObject({
  messageId: z.string().min(1),
  body: z.string(),
  attributes: z.looseObject({
    ApproximateReceiveCount: numericString,
    SentTimestamp: numericString,
  }),
  eventSource: z.literal('aws:sqs').optional(),
});

const SqsEventSchema = z.looseObject({ Records: z.array(SqsRecordSchema).min(1).max(10_000) });

const ResyncEventSchema = z.strictObject({
  /** report what would change, write nothing */
  dryRun: z.boolean().optional(),
  /** override the mass-deletion guard */
  force: z.boolean().optional(),
});
export type ResyncEvent = z.infer<typeof ResyncEventSchema>;

export function parseSyncEvent(event: unknown): SyncEvent {
  return parseOrThrow(SyncEventSchema, event ?? {}, 'event');
}

export function parsePushEvent(event: unknown): QueueRecord[] {
  const parsed = parseOrThrow(SqsEventSchema, event, 'event');
  return parsed.Records.map((r) => ({
    messageId: r.messageId,
    body: r.body,
    receiveCount: Number(r.attributes.ApproximateReceiveCount),
    sentAt: Number(r.attributes.SentTimestamp),
  }));
}

export function parseResyncEvent(event: unknown): ResyncEvent {
  return parseOrThrow(ResyncEventSchema, event ?? {}, 'event');
}

/** The account id in a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME). */
export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account !== undefined && /^[0-9]{12}$/.test(account) ? account : undefined;
}
