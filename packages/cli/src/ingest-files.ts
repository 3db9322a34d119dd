/**
 * The ingest loop shared by `ingest` and `evaluate`: each capture into the
 * store, the detectors over its flows, its alerts stored with it. Detection
 * settings are read once, before the first capture, so a bad line in a list
 * or pattern file stops the run before anything is written.
 * @module
 */
import {
  type Alert,
  alertOrder,
  captureBytes,
  CaptureError,
  DEFAULT_DETECTION,
  DEFAULT_FOREST_MODEL,
  type DetectionSetup,
  duckdbReason,
  type FlowOptions,
  FlowScoring,
  HostScoring,
  ingestCaptures,
  type IngestResult,
  loadDetectionConfig,
  ModelError,
  setUpDetection,
  startDetection,
  type Store,
  storeAlerts,
} from '@mommynet/core';
import type { Argv } from 'yargs';

import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import type { ProgressReporter } from './progress.js';

/** The detection options of `ingest` and `evaluate`. */
export function withDetectionOptions<T>(y: Argv<T>) {
  return y
    .option('detect-config', { type: 'string', describe: 'Detection settings (JSON, merged over the defaults of docs/alerts.md)' })
    .option('intel', { type: 'string', array: true, describe: 'Threat-intel list: one IP, CIDR or domain per line (repeatable)' })
    .option('signatures', { type: 'string', array: true, describe: 'Payload pattern file, instead of the shipped one (repeatable)' });
}

export interface DetectionArgs {
  detectConfig?: string;
  intel?: string[];
  signatures?: string[];
}

/** The model options of `ingest` and `evaluate`. */
export function withModelOptions<T>(y: Argv<T>) {
  return y
    .option('ml', { type: 'boolean', default: true, describe: 'Score every flow with the Isolation Forest (--no-ml: skip)' })
    .option('model', { type: 'string', default: DEFAULT_FOREST_MODEL, describe: 'Forest to score with: a name in models/, or a path to its card' })
    .option('host-model', { type: 'string', describe: 'Also score each host\'s behaviour with this LSTM (e.g. hosts-lstm; off by default: see models/README.md)' })
    .option('skip-bad-model', { type: 'boolean', default: false, describe: 'When a model cannot be used, warn and go on with the other detectors' });
}

export interface ModelArgs {
  ml: boolean;
  model: string;
  hostModel?: string;
  skipBadModel: boolean;
}

/** A model, loaded before any capture is read; undefined on a bad model with --skip-bad-model. */
async function loadOrSkip<T>(load: () => Promise<T>, skip: boolean): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    if (!skip) throw new CliError(`${err.message} (--skip-bad-model goes on without it, --no-ml skips scoring)`, EXIT.usage);
    process.stderr.write(`mommy-forensics: ${err.message}; going on without it (--skip-bad-model)\n`);
    return undefined;
  }
}

/** The forest (unless --no-ml) and the host LSTM (with --host-model) to score with. */
export async function loadScoring(argv: ModelArgs): Promise<{ flows?: FlowScoring; hosts?: HostScoring }> {
  if (!argv.ml) return {};
  const options = { spinning: false };
  const flows = await loadOrSkip(() => FlowScoring.load(argv.model, options), argv.skipBadModel);
  const hosts = argv.hostModel === undefined ? undefined : await loadOrSkip(() => HostScoring.load(argv.hostModel!, options), argv.skipBadModel);
  return { flows, hosts };
}

/** Detection settings from the options, their lists and pattern files read now. */
export function detectionSetup(argv: DetectionArgs): DetectionSetup {
  try {
    const base = argv.detectConfig !== undefined ? loadDetectionConfig(argv.detectConfig) : DEFAULT_DETECTION;
    return setUpDetection({
      ...base,
      payloadSignature: argv.signatures?.length ? { files: argv.signatures } : base.payloadSignature,
      threatIntel: { lists: [...base.threatIntel.lists, ...(argv.intel ?? [])] },
    });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
}

export interface IngestFilesOptions {
  flowOptions: FlowOptions;
  force: boolean;
  /** Stops the ingest (Ctrl-C): it then throws a CliError with EXIT.interrupted. */
  signal?: AbortSignal;
  sensor?: string;
  /** Absent: flows only. */
  detection?: DetectionSetup;
  /** Absent: no anomaly scores, no ml_anomaly alerts. */
  scoring?: { flows?: FlowScoring; hosts?: HostScoring };
  progress: ProgressReporter;
}

export interface IngestedFile {
  result: IngestResult;
  /** The alerts stored for this capture (none when it was skipped or detection is off). */
  alerts: Alert[];
}

export function exitCodeFor(r: IngestResult): ExitCode {
  if (r.status === 'damaged') return EXIT.damaged;
  if (r.status === 'failed') return EXIT.input;
  return EXIT.ok;
}

/** One line for stderr about a capture that was skipped, damaged, failed or replaced an earlier version of itself. */
export function describeResult(r: IngestResult): string | undefined {
  if (r.status === 'skipped') return `${r.path}: ${r.note}, skipped (--force ingests it again)`;
  const replaced = r.note === undefined ? '' : `; ${r.note}`;
  if (r.error) {
    const message = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${r.path}: No such file or directory` : r.error.message;
    return r.status === 'damaged' ? `${message}; the flows before it were stored${replaced}` : message;
  }
  return r.note === undefined ? undefined : `${r.path}: ${r.note}`;
}

/**
 * Ingests `files` one after the other, yielding each result once its alerts
 * are stored. Each file is opened as soon as the one before it has been read
 * (see ingestCaptures), so reading it overlaps that file's last appends.
 */
export async function* ingestFiles(store: Store, files: readonly string[], options: IngestFilesOptions): AsyncGenerator<IngestedFile> {
  const { progress, detection } = options;
  const { flows: flowScoring, hosts: hostScoring } = options.scoring ?? {};
  // Detection runs on worker threads beside the database append, which serve every file (on this
  // thread when the input is small: see startDetection).
  const detector = detection && startDetection(detection, { inputBytes: captureBytes(files) });
  let file = '';
  const results = ingestCaptures(store, files, {
    ...options.flowOptions,
    force: options.force,
    ...(options.sensor !== undefined && { sensor: options.sensor }),
    ...(options.signal && { signal: options.signal }),
    onFileStart: (_path, index) => {
      file = files[index]!;
      progress.startFile(file, index, files.length);
    },
    onProgress: (p) => progress.update(p),
    ...((detector || hostScoring) && {
      onBatch: async (batch) => {
        await detector?.observe(batch);
        await hostScoring?.observe(batch);
      },
    }),
    ...(flowScoring && { scoreBatch: (batch) => flowScoring.score(batch) }),
  });
  try {
    for (;;) {
      let ingested: IngestedFile;
      try {
        const next = await results.next();
        if (next.done) break;
        const result = next.value;
        // Each file's detectors and models end with it, stored or not.
        const detected = (await detector?.finish()) ?? [];
        const modelAlerts = [...(flowScoring?.finish() ?? []), ...((await hostScoring?.finish()) ?? [])];
        const anyAlerts = detector || flowScoring || hostScoring;
        let alerts: Alert[] = [];
        if (anyAlerts && result.captureId !== undefined && (result.status === 'complete' || result.status === 'damaged')) {
          alerts = [...detected, ...modelAlerts].sort(alertOrder);
          await storeAlerts(store, result.captureId, alerts);
        }
        ingested = { result, alerts };
      } catch (err) {
        if (err instanceof TypeError || err instanceof RangeError) throw new CliError(err.message, EXIT.usage);
        if (err instanceof CaptureError) throw err;
        if (options.signal?.aborted) {
          throw new CliError(`interrupted: ${file} was not finished (ingest it again to finish it); the captures before it are stored`, EXIT.interrupted);
        }
        // The database failed (disk full, I/O): what was committed stays; the flows of captures read
        // since the last commit, this one's and maybe earlier ones', are not stored.
        throw new CliError(
          `${store.path}: ${duckdbReason(err)}; ingest stopped at ${file}: what was committed before is kept, and ingesting the same files again stores the rest`,
          EXIT.store,
        );
      } finally {
        progress.endFile();
      }
      yield ingested;
    }
  } finally {
    await results.return(undefined);
    await detector?.close();
  }
}
