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

export async function storeAlerts(store: Store, captureId: number, alerts: readonly Alert[]): Promise<void> {
  await store.run('DELETE FROM alerts WHERE capture_id = $id', { id: captureId });
  for (const a of alerts) {
    await store.run(
      `INSERT INTO alerts (alert_time, end_time, category, severity, src_ip, src_port, dst_ip, dst_port, proto,
         community_id, detector, score, message, details, capture_id)
       VALUES (make_timestamp($start), make_timestamp($end), $category, $severity, $src_ip, $src_port, $dst_ip, $dst_port,
         $proto, $community_id, $detector, $score, $message, $details::JSON, $capture_id)`,
      {
        start: a.start,
        end: a.end,
        category: a.category,
        severity: a.severity,
        src_ip: a.src_ip ?? null,
        src_port: a.src_port ?? null,
        dst_ip: a.dst_ip ?? null,
        dst_port: a.dst_port ?? null,
        proto: a.proto ?? null,
        community_id: a.community_id ?? null,
        detector: a.detector,
        score: a.score ?? null,
        message: a.message,
        details: JSON.stringify(a.details),
        capture_id: captureId,
      },
    );
  }
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
