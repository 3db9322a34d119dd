/**
 * Synthetic traffic: frame builders and a pcap writer, deterministic for a
 * given seed. Used to generate the project's own datasets and test captures.
 *
 * @example
 * import { PcapWriter, tcpSession } from '@mommynet/core/synth';
 * const w = new PcapWriter();
 * tcpSession({ client: '10.0.0.2', server: '10.0.0.1', clientPort: 40000, serverPort: 80 })
 *   .forEach((frame, i) => w.add(1_700_000_000_000_000 + i * 1000, frame));
 * @module
 */
export * from './pcap-writer.js';
