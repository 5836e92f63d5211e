// A Tasker lifecycle-event subscriber in Node.js, reading the JetStream stream the Go NATS sink
// writes. The Go tests of package events spawn it; it is also a worked example for Node users.
//
// It consumes with an ordered consumer, de-duplicates by event id (delivery is at least once),
// checks that each task's events arrive in transition order (seq never goes back), and stops after
// --expect distinct events. With --expected FILE (a JSON list of event ids) it also checks that it
// received exactly that list, in that order, and exits 1 when not.
//
// Protocol on stdout, one JSON object per line:
//   {"ready":true}                              consumer started; publish now
//   {"done":true,"count":N,"duplicates":D,"elapsed_ms":T,"events":[...]}   finished
//   {"error":"..."}                             failure (exit code 1)
"use strict";

const fs = require("node:fs");
const { connect } = require("nats");

function parseArgs(argv) {
  const args = {
    url: "nats://127.0.0.1:4222", stream: "TASKER_EVENTS", subject: "tasker.events.>",
    expect: 0, timeoutMs: 60000, expected: "", list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${key} needs a value`);
      return argv[++i];
    };
    switch (key) {
      case "--url": args.url = value(); break;
      case "--stream": args.stream = value(); break;
      case "--subject": args.subject = value(); break;
      case "--expect": args.expect = Number(value()); break;
      case "--timeout-ms": args.timeoutMs = Number(value()); break;
      case "--expected": args.expected = value(); break;
      case "--list": args.list = true; break;
      default: throw new Error(`unknown argument ${key}`);
    }
  }
  if (!Number.isInteger(args.expect) || args.expect <= 0) throw new Error("--expect must be a positive integer");
  return args;
}

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// checkExpected compares received ids with the expected list, naming the first difference.
function checkExpected(received, expectedIds) {
  if (received.length !== expectedIds.length) {
    return `received ${received.length} events, expected ${expectedIds.length}`;
  }
  for (let i = 0; i < expectedIds.length; i++) {
    if (received[i].id !== expectedIds[i]) {
      return `event ${i}: received ${received[i].name} ${received[i].id}, expected ${expectedIds[i]}`;
    }
  }
  return "";
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const expectedIds = args.expected ? JSON.parse(fs.readFileSync(args.expected, "utf8")) : null;
  let seenCount = () => 0;
  const timer = setTimeout(() => {
    say({ error: `timed out after ${args.timeoutMs} ms with ${seenCount()} of ${args.expect} events` });
    process.exit(1);
  }, args.timeoutMs);
  const nc = await connect({ servers: args.url, name: "tasker-events-node-subscriber" });
  const js = nc.jetstream();
  // An ordered consumer starts at the stream's first message. Keep filterSubjects a string: a
  // list needs NATS server 2.10+, and an explicit deliver_policy stalls consume() on 2.9.
  const consumer = await js.consumers.get(args.stream, { filterSubjects: args.subject });
  const seen = new Set();
  const lastSeq = new Map(); // workflow_id -> last seq
  const received = [];
  let duplicates = 0;
  let started = 0;
  seenCount = () => seen.size;

  // handle checks one event; it returns true once --expect distinct events have arrived.
  const handle = (ev) => {
    if (seen.has(ev.id)) { duplicates++; return false; }
    seen.add(ev.id);
    const prev = lastSeq.get(ev.workflow_id);
    if (prev !== undefined && ev.seq < prev) {
      throw new Error(`out of order: workflow ${ev.workflow_id} event ${ev.name} seq ${ev.seq} after seq ${prev}`);
    }
    lastSeq.set(ev.workflow_id, ev.seq);
    if (args.list || expectedIds) received.push({ id: ev.id, name: ev.name, seq: ev.seq, workflow_id: ev.workflow_id, step: ev.step || "" });
    return seen.size >= args.expect;
  };
  // The callback form skips the async iterator's per-message promise and is markedly faster.
  let finish, fail;
  const finished = new Promise((resolve, reject) => { finish = resolve; fail = reject; });
  let over = false;
  const messages = await consumer.consume({
    max_messages: 4096,
    callback: (m) => {
      if (over) return;
      if (started === 0) started = Date.now();
      try {
        if (handle(m.json())) { over = true; finish(); }
      } catch (err) {
        over = true;
        fail(err);
      }
    },
  });
  say({ ready: true });
  await finished;
  const elapsed = Date.now() - started;
  clearTimeout(timer);
  messages.stop();
  if (expectedIds) {
    const diff = checkExpected(received, expectedIds);
    if (diff) throw new Error(diff);
  }
  say({ done: true, count: seen.size, duplicates, elapsed_ms: elapsed, events: args.list ? received : undefined });
  // Closing can wait on the consumer's pending pull; the result is out, so do not let it hang.
  await Promise.race([nc.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  process.exit(0);
}

main().catch((err) => {
  say({ error: String(err && err.message ? err.message : err) });
  process.exit(1);
});
