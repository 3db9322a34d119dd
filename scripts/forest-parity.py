#!/usr/bin/python3
"""Isolation Forest parity with scikit-learn, step 2 of 2 (not run in CI).

Reads the CSV files scripts/forest-parity.mjs wrote (label, the TypeScript
forest's score for each of its seeds, then the features), trains
scikit-learn's IsolationForest on the same rows with the same number of
trees and subsample size over as many seeds, and prints both ROC-AUCs
(mean and standard deviation over the seeds), their difference, and the
correlation of the two forests' seed-averaged scores. Exits 1 when a
difference exceeds 0.02.

Needs Debian's python3-sklearn (apt-get install -y python3-sklearn), so run it
with Debian's interpreter, /usr/bin/python3, where another python3 (pyenv)
comes first on PATH.
"""
import glob
import os
import sys
import tempfile

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

TREES = 100
SAMPLE_SIZE = 256
TOLERANCE = 0.02


def main() -> int:
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), 'mommynet-forest-parity')
    files = sorted(glob.glob(os.path.join(folder, '*.csv')))
    if not files:
        print(f'no CSV files in {folder}; run node scripts/forest-parity.mjs first', file=sys.stderr)
        return 2
    worst = 0.0
    print(f'{"dataset":10} {"rows":>6} {"anom.":>5}  {"TS ROC-AUC":>16}  {"sklearn ROC-AUC":>16}  {"diff":>7}  {"r(scores)":>9}')
    for path in files:
        with open(path) as f:
            header = f.readline().strip().split(',')
        table = np.loadtxt(path, delimiter=',', skiprows=1, dtype=np.float64)
        ts_cols = [i for i, name in enumerate(header) if name.startswith('ts_')]
        x_cols = [i for i, name in enumerate(header) if name.startswith('x')]
        labels = table[:, 0]
        features = table[:, x_cols].astype(np.float32)
        ts_scores = table[:, ts_cols]
        ts_auc = np.array([roc_auc_score(labels, ts_scores[:, k]) for k in range(len(ts_cols))])
        sk_scores = np.column_stack([
            # score_samples is the negated paper score s(x).
            -IsolationForest(n_estimators=TREES, max_samples=SAMPLE_SIZE, random_state=seed).fit(features).score_samples(features)
            for seed in range(len(ts_cols))
        ])
        sk_auc = np.array([roc_auc_score(labels, sk_scores[:, k]) for k in range(sk_scores.shape[1])])
        diff = ts_auc.mean() - sk_auc.mean()
        worst = max(worst, abs(diff))
        r = np.corrcoef(ts_scores.mean(axis=1), sk_scores.mean(axis=1))[0, 1]
        name = os.path.splitext(os.path.basename(path))[0]
        print(f'{name:10} {len(labels):6d} {int(labels.sum()):5d}  '
              f'{ts_auc.mean():.4f} ± {ts_auc.std():.4f}  {sk_auc.mean():.4f} ± {sk_auc.std():.4f}  {diff:+.4f}  {r:9.4f}')
    verdict = 'within' if worst <= TOLERANCE else 'OUTSIDE'
    print(f'largest |difference| {worst:.4f}: {verdict} the {TOLERANCE} tolerance')
    return 0 if worst <= TOLERANCE else 1


if __name__ == '__main__':
    sys.exit(main())
