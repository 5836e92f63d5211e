#!/usr/bin/env node
// The bridge's BullMQ enqueue sidecar. cmd/bridge starts it as a child process and writes one
// JSON line per job on its stdin:
//   {"id": 7, "queue": "steps", "name": "Bridge::Sum", "job_id": "…", "data": {…envelope…}}
// It adds the job with BullMQ's own Queue.add, so the job is exactly what the installed BullMQ
// Worker expects, and answers one line on stdout: {"id": 7, "ok": true} or {"id": 7, "error": "…"}.
// Redis comes from $TASKER_BULLMQ_REDIS (redis://host:port/db). It exits when stdin closes.
'use strict';
const readline = require('node:readline');
const IORedis = require('ioredis');
const { Queue } = require('bullmq');

const url = process.env.TASKER_BULLMQ_REDIS || 'redis://127.0.0.1:6379/0';
// Fail fast when Redis is down: the bridge fails the attempt and the workflow retries it.
const connection = new IORedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
let lastError = 'not connected yet';
connection.on('error', (err) => { lastError = err && err.message ? err.message : String(err); });

// ready resolves once Redis is connected, or rejects after ms with the last connection error.
function ready(ms) {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      reject(new Error(`Redis is not reachable (${lastError})`));
    }, ms);
    const onReady = () => { clearTimeout(timer); resolve(); };
    connection.once('ready', onReady);
  });
}
const queues = new Map();

function queue(name) {
  let q = queues.get(name);
  if (!q) {
    q = new Queue(name, { connection });
    q.on('error', () => {});
    queues.set(name, q);
  }
  return q;
}

function reply(msg) {
  process.stdout.write(JSON.stringify(msg) + '\n');
}

async function add(req) {
  try {
    await ready(2000);
    await queue(req.queue).add(req.name, req.data, {
      jobId: req.job_id,
      attempts: 1, // retries are the workflow's
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    reply({ id: req.id, ok: true });
  } catch (err) {
    reply({ id: req.id, error: `Queue.add on ${url.replace(/\/\/[^@]*@/, '//')}: ${err && err.message ? err.message : err}` });
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    reply({ id: -1, error: `bad request line: ${err.message}` });
    return;
  }
  add(req);
});
rl.on('close', async () => {
  await Promise.allSettled([...queues.values()].map((q) => q.close()));
  connection.disconnect();
  process.exit(0);
});
