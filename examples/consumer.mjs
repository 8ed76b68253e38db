// A downstream consumer of news.enriched in Node.js, as a team outside newsflow would write it: the
// `redis` package and ajv, nothing of newsflow's. The same steps as examples/consumer.py and
// doc/consumers.md: its own consumer group; first its own pending entries (left by a crash), then new
// ones; entries of another schema, or that the schema rejects, skipped; de-duplication by article id
// against what it already wrote; XACK once the line is on disk.
//
//   npm install --prefix examples
//   node examples/consumer.mjs --group my-team --out articles.jsonl
import { createClient } from 'redis';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync, openSync, writeSync, fsyncSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SCHEMA_NAME = 'enriched-article/1';
const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    'redis-url': { type: 'string', default: process.env.REDIS_URL },
    stream: { type: 'string', default: 'news.enriched' },
    group: { type: 'string' },
    consumer: { type: 'string', default: 'consumer-1' },
    schema: { type: 'string', default: join(here, '..', 'schema', 'enriched-article.v1.json') },
    out: { type: 'string' },
    'idle-exit': { type: 'string', default: '0' },
    delay: { type: 'string', default: '0' },
  },
});
if (!args.group || !args.out) {
  console.error('usage: consumer.mjs --group G --out FILE [--redis-url URL] [--idle-exit S] [--delay S]');
  process.exit(2);
}

function localRedisUrl() {
  // A local `newsflow up` writes its Redis URL, password included, to stack.json.
  const dataDir = process.env.NEWSFLOW_DATA_DIR || join(homedir(), '.local', 'share', 'newsflow');
  return JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')).redis_url;
}

const ajv = new Ajv2020({ allErrors: false, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(args.schema, 'utf8')));

const seen = new Set();
if (existsSync(args.out)) {
  for (const line of readFileSync(args.out, 'utf8').split('\n')) if (line.trim()) seen.add(JSON.parse(line).id);
}
const out = openSync(args.out, 'a');
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));

const client = createClient({ url: args['redis-url'] || localRedisUrl() });
client.on('error', (err) => console.error('redis:', err.message));
await client.connect();
try {
  await client.xGroupCreate(args.stream, args.group, '0', { MKSTREAM: true });
} catch (err) {
  if (!String(err.message).includes('BUSYGROUP')) throw err;
}

async function handle(id, fields) {
  if (fields.schema !== SCHEMA_NAME) {
    console.error(`skipped ${id}: schema ${JSON.stringify(fields.schema)}`);
  } else {
    let article = null;
    try {
      article = JSON.parse(fields.json ?? '');
    } catch (err) {
      console.error(`skipped ${id}: ${err.message}`);
    }
    if (article !== null && !validate(article)) {
      console.error(`skipped ${id}: invalid: ${ajv.errorsText(validate.errors).slice(0, 200)}`);
    } else if (article !== null && !seen.has(article.id)) {
      await sleep(Number(args.delay));
      writeSync(out, JSON.stringify({ id: article.id, entry: id, title: article.title }) + '\n');
      fsyncSync(out);
      seen.add(article.id);
    }
  }
  await client.xAck(args.stream, args.group, id);
}

// '0': this consumer's own pending entries, from a run that died before acknowledging them; once none
// is left, '>': entries never delivered to the group.
let cursor = '0';
let idleSince = Date.now();
for (;;) {
  const reply = await client.xReadGroup(
    args.group, args.consumer, { key: args.stream, id: cursor }, { COUNT: 50, BLOCK: 1000 },
  );
  const entries = reply ? reply[0].messages : [];
  if (cursor !== '>' && entries.length === 0) {
    cursor = '>';
    continue;
  }
  if (entries.length === 0) {
    if (Number(args['idle-exit']) && Date.now() - idleSince > Number(args['idle-exit']) * 1000) break;
    continue;
  }
  idleSince = Date.now();
  for (const { id, message } of entries) {
    if (cursor !== '>') cursor = id;
    await handle(id, message);
  }
}
await client.quit();
