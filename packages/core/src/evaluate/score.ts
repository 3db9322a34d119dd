/**
 * Scores detection against labels, capture by capture: per category,
 * precision and recall over flows and over episodes, and the alerts that
 * match no labelled episode at all (false alerts, also per 10 000 benign
 * flows and by severity).
 *
 * @example
 * const scorer = new Scorer();
 * scorer.addCapture('scan.pcap', flows, alerts, episodesFor(episodes, 'scan.pcap'));
 * console.log(scorer.report().categories);
 * @module
 */
import type { AlertCategory, Severity } from '../detect/alert.js';
import type { Episode } from './labels.js';
import { alertCoversFlow, alertMatchesEpisode, type EvaluatedAlert, type EvaluatedFlow, flowInEpisode } from './match.js';

export interface Counts {
  /** Labelled as this category. */
  labelled: number;
  /** Found (flows covered by an alert of the category; labelled episodes an alert of the category reports). */
  detected: number;
  /** Of the detected, how many are labelled (flows) / alerts matching a labelled episode of the category (episodes). */
  correct: number;
  /** Everything the detector claimed: flows covered, or alerts raised. */
  claimed: number;
}

export interface CategoryScore {
  category: AlertCategory;
  flows: Counts & { precision: number | null; recall: number | null };
  episodes: Counts & { precision: number | null; recall: number | null };
}

export interface CaptureScore {
  capture: string;
  flows: number;
  benignFlows: number;
  /** Labelled episodes by category, and how many of them an alert of that category reports. */
  episodes: { category: AlertCategory; labelled: number; detected: number }[];
  /** Alerts by category. */
  alerts: Partial<Record<AlertCategory, number>>;
  /** Alerts matching no labelled episode of any category, by severity (index 0 = severity 1). */
  falseAlertsBySeverity: [number, number, number, number];
}

export interface EvaluationReport {
  captures: CaptureScore[];
  categories: CategoryScore[];
  flows: number;
  benignFlows: number;
  falseAlerts: number;
  /** False alerts per 10 000 benign flows; null without benign flows. */
  falseAlertsPer10kBenign: number | null;
  falseAlertsBySeverity: [number, number, number, number];
}

function emptyCounts(): Counts {
  return { labelled: 0, detected: 0, correct: 0, claimed: 0 };
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Alerts indexed by the addresses they name, so each flow looks at a handful, not all. */
class AlertIndex {
  #byAddress = new Map<string, EvaluatedAlert[]>();
  #unaddressed: EvaluatedAlert[] = [];

  constructor(alerts: readonly EvaluatedAlert[]) {
    for (const a of alerts) {
      const addresses = new Set([a.src_ip, a.dst_ip].filter((x): x is string => x !== undefined));
      if (addresses.size === 0) this.#unaddressed.push(a);
      for (const ip of addresses) {
        const list = this.#byAddress.get(ip);
        if (list) list.push(a);
        else this.#byAddress.set(ip, [a]);
      }
    }
  }

  /** Categories of the alerts covering `flow`. */
  categoriesCovering(flow: EvaluatedFlow): Set<AlertCategory> {
    const found = new Set<AlertCategory>();
    for (const list of [this.#byAddress.get(flow.src_ip), this.#byAddress.get(flow.dst_ip), this.#unaddressed]) {
      for (const a of list ?? []) if (!found.has(a.category) && alertCoversFlow(a, flow)) found.add(a.category);
    }
    return found;
  }
}

export class Scorer {
  #flowCounts = new Map<AlertCategory, Counts>();
  #episodeCounts = new Map<AlertCategory, Counts>();
  #captures: CaptureScore[] = [];

  #counts(map: Map<AlertCategory, Counts>, category: AlertCategory): Counts {
    let c = map.get(category);
    if (!c) map.set(category, (c = emptyCounts()));
    return c;
  }

  /** Adds one capture: its flows, the alerts raised on it, and the episodes labelled in it. */
  addCapture(capture: string, flows: Iterable<EvaluatedFlow>, alerts: readonly EvaluatedAlert[], episodes: readonly Episode[]): CaptureScore {
    const index = new AlertIndex(alerts);
    let total = 0;
    let benign = 0;
    for (const flow of flows) {
      total++;
      const labelled = new Set<AlertCategory>();
      for (const e of episodes) if (flowInEpisode(flow, e)) labelled.add(e.label.category);
      if (labelled.size === 0) benign++;
      const covered = index.categoriesCovering(flow);
      for (const category of labelled) {
        const c = this.#counts(this.#flowCounts, category);
        c.labelled++;
        if (covered.has(category)) c.detected++;
      }
      for (const category of covered) {
        const c = this.#counts(this.#flowCounts, category);
        c.claimed++;
        if (labelled.has(category)) c.correct++;
      }
    }

    const perCategory = new Map<AlertCategory, { labelled: number; detected: number }>();
    for (const e of episodes) {
      const category = e.label.category;
      const found = alerts.some((a) => a.category === category && alertMatchesEpisode(a, e));
      const c = this.#counts(this.#episodeCounts, category);
      c.labelled++;
      if (found) c.detected++;
      const row = perCategory.get(category) ?? { labelled: 0, detected: 0 };
      row.labelled++;
      if (found) row.detected++;
      perCategory.set(category, row);
    }
    const falseAlertsBySeverity: [number, number, number, number] = [0, 0, 0, 0];
    const alertCounts: Partial<Record<AlertCategory, number>> = {};
    for (const a of alerts) {
      alertCounts[a.category] = (alertCounts[a.category] ?? 0) + 1;
      const c = this.#counts(this.#episodeCounts, a.category);
      c.claimed++;
      if (episodes.some((e) => e.label.category === a.category && alertMatchesEpisode(a, e))) c.correct++;
      if (!episodes.some((e) => alertMatchesEpisode(a, e))) falseAlertsBySeverity[(a.severity as Severity) - 1]!++;
    }
    const score: CaptureScore = {
      capture,
      flows: total,
      benignFlows: benign,
      episodes: [...perCategory].map(([category, r]) => ({ category, ...r })),
      alerts: alertCounts,
      falseAlertsBySeverity,
    };
    this.#captures.push(score);
    return score;
  }

  report(): EvaluationReport {
    const categories = [...new Set([...this.#flowCounts.keys(), ...this.#episodeCounts.keys()])].sort();
    const withRates = (c: Counts) => ({ ...c, precision: ratio(c.correct, c.claimed), recall: ratio(c.detected, c.labelled) });
    const flows = this.#captures.reduce((n, c) => n + c.flows, 0);
    const benignFlows = this.#captures.reduce((n, c) => n + c.benignFlows, 0);
    const falseAlertsBySeverity = this.#captures.reduce(
      (sum, c) => sum.map((n, i) => n + c.falseAlertsBySeverity[i]!) as [number, number, number, number],
      [0, 0, 0, 0] as [number, number, number, number],
    );
    const falseAlerts = falseAlertsBySeverity.reduce((a, b) => a + b, 0);
    return {
      captures: this.#captures,
      categories: categories.map((category) => ({
        category,
        flows: withRates(this.#flowCounts.get(category) ?? emptyCounts()),
        episodes: withRates(this.#episodeCounts.get(category) ?? emptyCounts()),
      })),
      flows,
      benignFlows,
      falseAlerts,
      falseAlertsPer10kBenign: benignFlows === 0 ? null : (falseAlerts * 10_000) / benignFlows,
      falseAlertsBySeverity,
    };
  }
}
