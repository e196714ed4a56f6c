// kafkajs scenarios against a running broker. Prints "ok <name>" or "FAIL <name>: <why>" per check.
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import snappyCodec from 'kafkajs-snappy';
import lz4 from 'lz4js';
import zstdCodec from 'zstd-codec';
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = kafkajs;

const bootstrap = process.argv[2] ?? '127.0.0.1:9092';
// Where the expected kcat rendering of what kafkajs produced goes (the shell script consumes it with kcat).
const expectedDir = process.argv[3];

// kafkajs ships gzip only; the other codecs plug in. LZ4 is Kafka's LZ4 frame format (lz4js writes frames);
// zstd-codec is zstd compiled to JS, so no native build is needed.
const zstd = await new Promise(resolve => zstdCodec.ZstdCodec.run(z => resolve(new z.Simple())));
CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) { return Buffer.from(lz4.compress(encoder.buffer)); },
  async decompress(buffer) { return Buffer.from(lz4.decompress(buffer)); },
});
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder) { return Buffer.from(zstd.compress(encoder.buffer, 3)); },
  async decompress(buffer) { return Buffer.from(zstd.decompress(buffer)); },
});
const kafka = new Kafka({ clientId: 'conformance', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });

const checks = [];
const check = (name, fn) => checks.push({ name, fn });
const assert = (cond, why) => { if (!cond) throw new Error(why); };

const admin = kafka.admin();

check('admin connects and describes the cluster', async () => {
  await admin.connect();
  const cluster = await admin.describeCluster();
  assert(cluster.brokers.length === 1, `brokers: ${JSON.stringify(cluster.brokers)}`);
  assert(typeof cluster.clusterId === 'string' && cluster.clusterId.length > 0, 'cluster id');
});

check('createTopics creates a topic with 3 partitions', async () => {
  const created = await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 3 }], waitForLeaders: true });
  assert(created === true, `createTopics returned ${created}`);
  const md = await admin.fetchTopicMetadata({ topics: ['js-admin'] });
  assert(md.topics[0].partitions.length === 3, `partitions: ${md.topics[0].partitions.length}`);
});

check('createTopics of an existing topic fails with TOPIC_ALREADY_EXISTS', async () => {
  try {
    await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 1 }], validateOnly: false });
    // kafkajs returns false when the only topic already exists
  } catch (e) {
    const types = (e.errors ?? [e]).map(x => x.type);
    assert(types.includes('TOPIC_ALREADY_EXISTS'), `got ${types}`);
  }
});

check('listTopics includes the new topic', async () => {
  const topics = await admin.listTopics();
  assert(topics.includes('js-admin'), `topics: ${topics}`);
});

check('createPartitions raises the count to 5', async () => {
  await admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 5 }] });
  const md = await admin.fetchTopicMetadata({ topics: ['js-admin'] });
  assert(md.topics[0].partitions.length === 5, `partitions: ${md.topics[0].partitions.length}`);
});

check('alterConfigs then describeConfigs shows retention.ms as a topic override', async () => {
  await admin.alterConfigs({ resources: [{ type: 2, name: 'js-admin', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
  const d = await admin.describeConfigs({ resources: [{ type: 2, name: 'js-admin', configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
  const entries = Object.fromEntries(d.resources[0].configEntries.map(e => [e.configName, e]));
  assert(entries['retention.ms'].configValue === '3600000', `retention.ms=${entries['retention.ms']?.configValue}`);
  assert(entries['cleanup.policy'].configValue === 'delete', `cleanup.policy=${entries['cleanup.policy']?.configValue}`);
});

check('deleteTopics removes the topic', async () => {
  await admin.deleteTopics({ topics: ['js-admin'] });
  const topics = await admin.listTopics();
  assert(!topics.includes('js-admin'), `topics: ${topics}`);
});

// --- produce ------------------------------------------------------------------------------------
const producer = kafka.producer({ allowAutoTopicCreation: true });
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };
const perCodec = 100;
const baseTimestamp = Date.UTC(2026, 0, 1);

check('producer connects', async () => { await producer.connect(); });

for (const [codec, type] of Object.entries(codecs)) {
  check(`produce ${perCodec} keyed records with headers, codec ${codec}, acks=all`, async () => {
    const topic = `js-${codec}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const messages = [];
    for (let i = 0; i < perCodec; i++) {
      messages.push({
        key: `key-${i}`,
        value: `value-${i}-${codec}-${'x'.repeat(i % 40)}`,
        headers: { index: String(i), codec },
        timestamp: String(baseTimestamp + i * 1000),
      });
    }
    // Two sends: the second batch must continue the offsets of the first.
    const first = await producer.send({ topic, acks: -1, compression: type, messages: messages.slice(0, 60) });
    const second = await producer.send({ topic, acks: -1, compression: type, messages: messages.slice(60) });
    assert(first[0].errorCode === 0 && first[0].baseOffset === '0', `first: ${JSON.stringify(first)}`);
    assert(second[0].errorCode === 0 && second[0].baseOffset === '60', `second: ${JSON.stringify(second)}`);
    if (expectedDir) {
      const lines = messages.map(m => `${m.key}|${m.value}|index=${m.headers.index},codec=${m.headers.codec}`);
      fs.writeFileSync(path.join(expectedDir, `${topic}.expected`), lines.join('\n') + '\n');
    }
  });
}

check('fetchTopicOffsets (ListOffsets earliest/latest) reports low 0 and high 100', async () => {
  const offsets = await admin.fetchTopicOffsets('js-gzip');
  assert(offsets.length === 1, JSON.stringify(offsets));
  const [p] = offsets;
  assert(p.partition === 0 && p.low === '0' && p.high === '100' && p.offset === '100', JSON.stringify(p));
});

check('fetchTopicOffsetsByTimestamp finds the first offset at or after the timestamp', async () => {
  const at = await admin.fetchTopicOffsetsByTimestamp('js-none', baseTimestamp + 42 * 1000);
  assert(at[0].offset === '42', `at: ${JSON.stringify(at)}`);
  const between = await admin.fetchTopicOffsetsByTimestamp('js-none', baseTimestamp + 42 * 1000 + 1);
  assert(between[0].offset === '43', `between: ${JSON.stringify(between)}`);
  // Past the last timestamp Kafka answers -1 and kafkajs substitutes the latest offset.
  const after = await admin.fetchTopicOffsetsByTimestamp('js-none', baseTimestamp + 10_000_000);
  assert(after[0].offset === '100', `after: ${JSON.stringify(after)}`);
});

check('deleteTopicRecords moves the log start; fetchTopicOffsets reports low 30 high 50', async () => {
  await admin.createTopics({ topics: [{ topic: 'js-deleted', numPartitions: 1 }] });
  const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  await producer.send({ topic: 'js-deleted', acks: -1, messages });
  // kafkajs looks the leader up in metadata it already holds, before loading the topic's: load it first.
  await admin.fetchTopicOffsets('js-deleted');
  try {
    await admin.deleteTopicRecords({ topic: 'js-deleted', partitions: [{ partition: 0, offset: '30' }] });
  } catch (e) {
    const why = (e.partitions ?? []).map(p => `partition ${p.partition}: ${p.error?.type ?? p.error?.message ?? p.error}`);
    throw new Error(`${e.message} (${why.join('; ') || e.cause?.message || 'no partition detail'})`);
  }
  const [p] = await admin.fetchTopicOffsets('js-deleted');
  assert(p.low === '30' && p.high === '50', JSON.stringify(p));
});

check('idempotent producer (InitProducerId, sequence numbers) appends each record once', async () => {
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'js-idempotent', numPartitions: 2 }] });
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `r${round}-${i}` }));
      const result = await idem.send({ topic: 'js-idempotent', acks: -1, compression: CompressionTypes.GZIP, messages });
      assert(result.every(r => r.errorCode === 0), JSON.stringify(result));
    }
    const offsets = await admin.fetchTopicOffsets('js-idempotent');
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    assert(total === 100, `high watermarks add up to ${total}: ${JSON.stringify(offsets)}`);
  } finally {
    await idem.disconnect();
  }
});

for (const { name, fn } of checks) {
  try { await fn(); console.log(`ok ${name}`); }
  catch (e) { console.log(`FAIL ${name}: ${e.message ?? e}`); }
}
await producer.disconnect().catch(() => {});
await admin.disconnect().catch(() => {});
