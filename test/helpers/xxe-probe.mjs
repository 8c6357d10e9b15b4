// Run in a child process by xml.test.ts: loads the addon at argv[2], parses
// the documents given as JSON in argv[3] and prints what happened to each.
// A child, because a parse that opened a FIFO would block its thread for good.
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)(process.argv[2]);
const documents = JSON.parse(process.argv[3] ?? '[]');
const outcomes = documents.map((text) => {
  try {
    const doc = new addon.XmlDocument(text, 'probe.xml', 1 << 20);
    return { parsed: true, xml: doc.serialize(), text: doc.evaluate('string(/)') };
  } catch (error) {
    return { code: error.code, message: error.message };
  }
});
process.stdout.write(JSON.stringify(outcomes));
