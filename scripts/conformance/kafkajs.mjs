// kafkajs scenarios against a running broker. Prints "ok <name>" or "FAIL <name>: <why>" per check.
import kafkajs from 'kafkajs';
const { Kafka, logLevel } = kafkajs;

const bootstrap = process.argv[2] ?? '127.0.0.1:9092';
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

for (const { name, fn } of checks) {
  try { await fn(); console.log(`ok ${name}`); }
  catch (e) { console.log(`FAIL ${name}: ${e.message ?? e}`); }
}
await admin.disconnect().catch(() => {});
