/**
 * Alerts in the store: written after a capture's detection run (replacing
 * that capture's earlier alerts), and read back with filters for the
 * `alerts` command. Filters are bound parameters, never pasted into SQL.
 *
 * @example
 * await storeAlerts(store, captureId, session.finish());
 * @module
 */
import type { Alert, AlertCategory, Severity } from '../detect/alert.js';
import type { Store } from './database.js';

/**
 * Replaces a capture's alerts, in one transaction (the ingest's, when one is
 * open: they are then committed with the capture's flows): readers see the
 * old set or the new one, and one commit costs far less than one per alert.
 */
export async function storeAlerts(store: Store, captureId: number, alerts: readonly Alert[]): Promise<void> {
  await store.atomically(() => insertAlerts(store, captureId, alerts));
}

/** The Alert fields as DuckDB reads them from one JSON array: every alert of a capture in one statement. */
const ALERT_JSON_STRUCTURE = JSON.stringify([
  {
    start: 'BIGINT', end: 'BIGINT', category: 'VARCHAR', severity: 'UTINYINT', src_ip: 'VARCHAR', src_port: 'USMALLINT',
    dst_ip: 'VARCHAR', dst_port: 'USMALLINT', proto: 'UTINYINT', community_id: 'VARCHAR', detector: 'VARCHAR',
    score: 'DOUBLE', message: 'VARCHAR', details: 'JSON',
  },
]);

async function insertAlerts(store: Store, captureId: number, alerts: readonly Alert[]): Promise<void> {
  await store.run('DELETE FROM alerts WHERE capture_id = $id', { id: captureId });
  if (alerts.length === 0) return;
  // One statement: an INSERT per alert costs about a millisecond each.
  await store.run(
    `INSERT INTO alerts (alert_time, end_time, category, severity, src_ip, src_port, dst_ip, dst_port, proto,
       community_id, detector, score, message, details, capture_id)
     SELECT make_timestamp(start), make_timestamp("end"), category, severity, src_ip, src_port, dst_ip, dst_port, proto,
       community_id, detector, score, message, details, $capture_id
     FROM (SELECT unnest(from_json($alerts::JSON, '${ALERT_JSON_STRUCTURE}'), recursive := true))`,
    { alerts: JSON.stringify(alerts), capture_id: captureId },
  );
}

export interface AlertFilter {
  /** Alerts whose episode ends at or after this time. */
  since?: Date;
  /** Alerts whose episode starts before this time. */
  until?: Date;
  category?: AlertCategory;
  /** Severity numbers up to this one (1 = only critical). */
  maxSeverity?: Severity;
  /** Alerts with this address on either side. */
  host?: string;
}

/** SQL listing alerts, most severe and newest first, with its bound parameters. */
export function alertQuery(filter: AlertFilter): { sql: string; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.since) {
    where.push('coalesce(end_time, alert_time) >= $since::TIMESTAMP');
    params.since = filter.since.toISOString();
  }
  if (filter.until) {
    where.push('alert_time < $until::TIMESTAMP');
    params.until = filter.until.toISOString();
  }
  if (filter.category) {
    where.push('category = $category');
    params.category = filter.category;
  }
  if (filter.maxSeverity) {
    where.push('severity <= $severity');
    params.severity = filter.maxSeverity;
  }
  if (filter.host) {
    where.push('(src_ip = $host OR dst_ip = $host)');
    params.host = filter.host;
  }
  const sql = `SELECT alert_id, alert_time, end_time, severity, category, src_ip, src_port, dst_ip, dst_port, proto,
  message, detector, score, community_id, details, capture_id
FROM alerts${where.length ? `\nWHERE ${where.join(' AND ')}` : ''}
ORDER BY severity, alert_time DESC`;
  return { sql, params };
}
