// A BullMQ Worker serving Tasker steps through cmd/bridge. Run:
//   NODE_PATH=bridge/shims/node/node_modules node examples/bridge/node/worker.js tasker
// The job name picks the handler; each reports with one taskerBridge.run call.
'use strict';
const path = require('node:path');
const IORedis = require('ioredis');
const { Worker } = require('bullmq');
const taskerBridge = require(path.join(__dirname, '../../../bridge/shims/node/tasker_bridge'));

const queue = process.argv[2] || process.env.BULLMQ_QUEUE || 'tasker';
const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379/0';

const handlers = {
  // d of examples/bridge/mixed.yaml: the sum of the parents' values.
  'Bridge::Sum': async (request) => {
    const values = Object.values(request.dependency_results || {}).map((r) => r.value);
    return { value: values.reduce((a, b) => a + b, 0) };
  },
  // Completes at once: the benchmark's job.
  'Examples::Noop': async () => ({ ok: true }),
  // Fails its first attempt with an ordinary error (retryable), succeeds on the next.
  'Examples::Flaky': async (request) => {
    if (request.step.attempt === 1) throw new TypeError('upstream unavailable');
    return { attempt: request.step.attempt };
  },
  // Always declines: a permanent failure, no further attempts.
  'Examples::Decline': async () => {
    throw new taskerBridge.PermanentError('card declined');
  },
};

const worker = new Worker(
  queue,
  async (job) => {
    const handler = handlers[job.name];
    if (!handler) {
      await taskerBridge.fail(job.data, new taskerBridge.PermanentError(`no BullMQ handler for job ${job.name}`), { permanent: true });
      return;
    }
    await taskerBridge.run(job.data, handler);
  },
  { connection: new IORedis(url, { maxRetriesPerRequest: null }), concurrency: 32 },
);
worker.on('error', (err) => console.error('worker error:', err.message));
const stop = async () => {
  await worker.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
