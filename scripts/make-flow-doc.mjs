#!/usr/bin/env node
// Writes docs/flows.md from the flow schema (FLOW_COLUMNS), so the reference
// cannot drift from the code; test/docs.test.ts checks it is current.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DUCKDB_TYPES, FLOW_COLUMNS } from '@mommynet/core';

const rows = FLOW_COLUMNS.map((c) => `| \`${c.name}\` | ${c.type} (${DUCKDB_TYPES[c.type]}) | ${c.nullable ? 'yes' : ''} | ${c.description} |`);
const text = `# The flow record

One row per flow (or per interim record of a long flow), as the capture engine hands it to
JavaScript (Arrow), as \`mommy-forensics flows\` prints it, and as the store keeps it. Names follow
IPFIX, Suricata EVE and Zeek's conn.log. "fwd" is the side that sent the first packet. Sizes are IP
bytes (header and payload), as IPFIX counts them; payload is what follows the transport header up
to the end of the IP datagram (for UDP, to the end its length field gives when that is shorter).
ARP requests and replies for IPv4 (over Ethernet,
VLANs, SLL) make flows too, from the sender's to the target's address (28 bytes a message), with
\`proto\` and \`community_id\` null and \`conn_state\` S0 (unanswered) or SF (answered): a host
asking for many addresses is an ARP sweep. Generated from \`packages/core/src/flow-columns.ts\` by
\`node scripts/make-flow-doc.mjs\`: do not edit by hand.

| column | type (DuckDB) | null | meaning |
|---|---|---|---|
${rows.join('\n')}

## When a record ends (\`end_reason\`)

| reason | when |
|---|---|
| \`fin\` | TCP: both sides sent FIN, and the close delay (\`tcpCloseTimeout\`, 5 s) passed |
| \`rst\` | TCP: a side sent RST, and the close delay passed |
| \`idle\` | no packet for the protocol's idle timeout (TCP 300 s, UDP 60 s, ICMP 60 s, other 60 s) |
| \`active\` | an interim record of a flow still open after \`activeTimeout\` (1800 s); the next record continues it |
| \`eof\` | end of the capture file, or a live capture stopped |
| \`evicted\` | the table held \`maxFlows\` (1 000 000) flows and this was the oldest idle one |

A TCP connection that already closed keeps \`fin\` or \`rst\` even when end of input or eviction cuts
its close delay short.
`;
writeFileSync(join(fileURLToPath(import.meta.url), '..', '..', 'docs', 'flows.md'), text);
