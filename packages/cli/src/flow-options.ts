/**
 * The flow-table options every command that reads captures accepts, and
 * their translation to core's FlowOptions. Defaults live in core.
 * @module
 */
import type { FlowOptions } from '@mommynet/core/flows';
import type { Argv } from 'yargs';

export function withFlowOptions<T>(y: Argv<T>) {
  return y
    .option('tcp-idle-timeout', { type: 'number', describe: 'Seconds before an idle TCP flow ends (default 300)' })
    .option('udp-idle-timeout', { type: 'number', describe: 'Seconds for UDP (default 60)' })
    .option('icmp-idle-timeout', { type: 'number', describe: 'Seconds for ICMP (default 60)' })
    .option('other-idle-timeout', { type: 'number', describe: 'Seconds for other protocols (default 60)' })
    .option('tcp-close-timeout', { type: 'number', describe: 'Seconds a closed TCP flow waits for late packets (default 5)' })
    .option('active-timeout', { type: 'number', describe: 'Seconds between interim records of long flows (default 1800)' })
    .option('max-flows', { type: 'number', describe: 'Most concurrent flows; the oldest idle is evicted beyond (default 1000000)' })
    .option('payload-bytes', { type: 'number', describe: 'Payload bytes kept per direction (default 128)' });
}

/** Only the options given, so core's defaults apply to the rest. */
export function flowOptionsFrom(a: FlowOptions): FlowOptions {
  const o: FlowOptions = {
    tcpIdleTimeout: a.tcpIdleTimeout,
    udpIdleTimeout: a.udpIdleTimeout,
    icmpIdleTimeout: a.icmpIdleTimeout,
    otherIdleTimeout: a.otherIdleTimeout,
    tcpCloseTimeout: a.tcpCloseTimeout,
    activeTimeout: a.activeTimeout,
    maxFlows: a.maxFlows,
    payloadBytes: a.payloadBytes,
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
