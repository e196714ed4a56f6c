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

// --- partition reassignment (AlterPartitionReassignments / ListPartitionReassignments) ----------
check('listPartitionReassignments answers with nothing in progress', async () => {
  await admin.createTopics({ topics: [{ topic: 'js-reassign', numPartitions: 1 }], waitForLeaders: true });
  const all = await admin.listPartitionReassignments({});
  assert(Array.isArray(all.topics) && all.topics.length === 0, `all: ${JSON.stringify(all)}`);
  const named = await admin.listPartitionReassignments({ topics: [{ topic: 'js-reassign', partitions: [0] }] });
  assert(Array.isArray(named.topics) && named.topics.length === 0, `named: ${JSON.stringify(named)}`);
});

check('alterPartitionReassignments onto an unknown broker id gets INVALID_REPLICA_ASSIGNMENT', async () => {
  let types = ['no error'];
  try {
    await admin.alterPartitionReassignments({ topics: [{ topic: 'js-reassign', partitionAssignment: [{ partition: 0, replicas: [99] }] }] });
  } catch (e) {
    types = (e.errors ?? [e]).map(x => x.type ?? x.message);
  }
  assert(types.length === 1 && types[0] === 'INVALID_REPLICA_ASSIGNMENT', `got ${types}`);
});

// --- produce ------------------------------------------------------------------------------------
const producer = kafka.producer({ allowAutoTopicCreation: true });
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };
const perCodec = 100;
// Record timestamps start an hour before now (passed in by the runner so kcat checks use the same base): old
// timestamps would let retention.ms (7 days) delete the records mid-run, as Kafka would.
const baseTimestamp = Number(process.env.CONFORMANCE_BASE_TS ?? (Math.floor(Date.now() / 1000) - 3600) * 1000);

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

// --- consumer group ---------------------------------------------------------------------------
// Two kafkajs consumers in one group share a 4-partition topic (2 partitions each) and together read everything;
// their commits let a later member of the group resume exactly where they stopped.
const waitFor = async (condition, what, ms = 60000) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
};
const groupTopic = 'js-group';
const groupId = 'js-group-g';
const groupConsumer = () => kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10000, rebalanceTimeout: 20000 });
const batch = (from, count) => Array.from({ length: count }, (_, i) => ({ partition: (from + i) % 4, key: `k${from + i}`, value: `v${from + i}` }));

check('consumer group: two kafkajs consumers split a 4-partition topic 2+2 and together read every record', async () => {
  await admin.createTopics({ topics: [{ topic: groupTopic, numPartitions: 4 }] });
  await producer.send({ topic: groupTopic, acks: -1, messages: batch(0, 200) });
  const members = [0, 1].map(() => ({ consumer: groupConsumer(), assigned: [], seen: new Set() }));
  try {
    for (const member of members) {
      member.consumer.on(member.consumer.events.GROUP_JOIN, e => { member.assigned = e.payload.memberAssignment[groupTopic] ?? []; });
      await member.consumer.connect();
      await member.consumer.subscribe({ topic: groupTopic, fromBeginning: true });
      await member.consumer.run({ eachMessage: async ({ message }) => { member.seen.add(message.value.toString()); } });
    }
    const split = () => members.every(m => m.assigned.length === 2) && new Set(members.flatMap(m => m.assigned)).size === 4;
    await waitFor(split, `a 2+2 split (assigned ${JSON.stringify(members.map(m => m.assigned))})`);
    // Records produced once both members own their partitions reach the member that owns each partition.
    await producer.send({ topic: groupTopic, acks: -1, messages: batch(200, 200) });
    const union = () => new Set(members.flatMap(m => [...m.seen]));
    await waitFor(() => union().size === 400, `all 400 records (have ${union().size})`);
    for (const member of members) {
      const late = [...member.seen].map(v => Number(v.slice(1))).filter(n => n >= 200);
      assert(late.length > 0 && late.every(n => member.assigned.includes(n % 4)), `a member read ${late.length} late records outside its partitions ${member.assigned}`);
    }

    const described = await admin.describeGroups([groupId]);
    const group = described.groups[0];
    assert(group.state === 'Stable' && group.protocolType === 'consumer' && group.members.length === 2, `describeGroups: ${group.state} ${group.protocolType} ${group.members.length} members`);
    const listed = await admin.listGroups();
    assert(listed.groups.some(g => g.groupId === groupId && g.protocolType === 'consumer'), `listGroups: ${JSON.stringify(listed.groups)}`);
  } finally {
    for (const member of members) await member.consumer.disconnect().catch(() => {});
  }
});

check('consumer group: committed offsets (100 per partition) let a new member resume with only the newer records', async () => {
  await waitFor(async () => {
    const [fetched] = await admin.fetchOffsets({ groupId, topics: [groupTopic] });
    return fetched.partitions.every(p => p.offset === '100');
  }, 'committed offsets of 100 on every partition');
  await producer.send({ topic: groupTopic, acks: -1, messages: batch(400, 40) });
  const consumer = groupConsumer();
  const seen = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: groupTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(Number(message.value.toString().slice(1))); } });
    await waitFor(() => seen.length >= 40, `40 new records (have ${seen.length})`);
    assert(seen.every(n => n >= 400), `re-read old records: ${seen.filter(n => n < 400).slice(0, 5)}`);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
});

check('consumer group: deleteGroups removes the emptied group', async () => {
  const results = await admin.deleteGroups([groupId]);
  assert(results.length === 1 && results[0].errorCode === 0, JSON.stringify(results));
  const listed = await admin.listGroups();
  assert(!listed.groups.some(g => g.groupId === groupId), `still listed: ${JSON.stringify(listed.groups)}`);
});

for (const { name, fn } of checks) {
  try { await fn(); console.log(`ok ${name}`); }
  catch (e) { console.log(`FAIL ${name}: ${e.message ?? e}`); }
}
await producer.disconnect().catch(() => {});
await admin.disconnect().catch(() => {});
