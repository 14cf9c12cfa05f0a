// An HTTP proxy in front of dynalite that answers a share of DynamoDB requests with the
// errors a busy table gives, in DynamoDB's own wire format (HTTP 400 with a JSON
// `__type`), so the AWS SDK's retry logic and sc2mesh's handling of what it gives up on
// meet the real thing. It can also let a request through and then lose the answer (an
// HTTP 500 after the write took effect: a timeout or a dropped connection looks the same
// to the client). Draws are seeded; listens on 127.0.0.1 only.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { seededRandom } from '../registry-generator.ts';

export type DynamoFault = 'ProvisionedThroughputExceededException' | 'ThrottlingException' | 'InternalServerError-after-effect';

export interface DynamoFaultSpec {
  /** share of matching requests, 0..1 */
  rate: number;
  /** one is drawn per faulted request */
  faults: readonly DynamoFault[];
  /** operations (the X-Amz-Target suffix: PutItem, BatchWriteItem…); default all */
  operations?: readonly string[];
  /** fault at most this many requests */
  count?: number;
}

export interface DynamoFaultProxy {
  /** `http://127.0.0.1:PORT`: the endpoint to give the DynamoDB client */
  readonly url: string;
  inject(spec: DynamoFaultSpec): void;
  clear(): void;
  /** requests seen, and faults answered, by operation */
  stats(): { requests: Record<string, number>; faults: Record<string, number> };
  close(): Promise<void>;
}

const ERROR_TYPES: Record<DynamoFault, { status: number; type: string; message: string }> = {
  ProvisionedThroughputExceededException: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  ThrottlingException: { status: 400, type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  'InternalServerError-after-effect': { status: 500, type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
};

interface Active {
  spec: DynamoFaultSpec;
  used: number;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startDynamoFaultProxy(options: { target: string; seed: number }): Promise<DynamoFaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed);
  const agent = new Agent({ keepAlive: true });
  let active: Active[] = [];
  const requests: Record<string, number> = {};
  const faults: Record<string, number> = {};

  const decide = (operation: string): DynamoFault | undefined => {
    for (const f of active) {
      if (f.spec.operations !== undefined && !f.spec.operations.includes(operation)) continue;
      if (f.spec.count !== undefined && f.used >= f.spec.count) continue;
      if (random() >= f.spec.rate) continue;
      f.used++;
      return f.spec.faults[Math.floor(random() * f.spec.faults.length)];
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (res) => {
          readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const answerError = (res: ServerResponse, fault: DynamoFault): void => {
    const e = ERROR_TYPES[fault];
    const text = JSON.stringify({ __type: e.type, message: e.message });
    res.writeHead(e.status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': randomUUID() });
    res.end(text);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const targetHeader = req.headers['x-amz-target'];
      const operation = (Array.isArray(targetHeader) ? targetHeader[0] : targetHeader)?.split('.').pop() ?? 'unknown';
      requests[operation] = (requests[operation] ?? 0) + 1;
      const fault = decide(operation);
      if (fault !== undefined) faults[operation] = (faults[operation] ?? 0) + 1;
      if (fault !== undefined && fault !== 'InternalServerError-after-effect') {
        answerError(res, fault);
        return;
      }
      const answer = await forward(req, body);
      if (fault !== undefined) {
        answerError(res, fault); // it happened; the client will never know
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    inject(spec) {
      if (!(spec.rate >= 0 && spec.rate <= 1)) throw new Error(`rate must be within 0..1 (got ${spec.rate})`);
      active.push({ spec, used: 0 });
    },
    clear() {
      active = [];
    },
    stats: () => ({ requests: { ...requests }, faults: { ...faults } }),
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closing;
    },
  };
}
