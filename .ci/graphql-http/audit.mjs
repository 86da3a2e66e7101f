// Runs every graphql-http server audit against the URL given and fails on any that is not ok,
// warnings included.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
const notOk = results.filter((result) => result.status !== 'ok');
for (const result of notOk) {
  console.log(`${result.status} ${result.id} ${result.name}: ${result.reason}`);
}
console.log(`graphql-http audits: ${results.length - notOk.length} of ${results.length} ok`);
process.exit(notOk.length === 0 ? 0 : 1);
