// Test helper: ingests one capture with small batches and, after the first
// committed batch (one batch a commit), prints "committed" and holds still (the database stays
// open and locked) until it is killed. Arguments: DB CAPTURE BATCH_ROWS.
import { ingestCapture, openStore } from '@mommynet/core';

const [db, capture, batchRows] = process.argv.slice(2);
const store = await openStore(db);
let said = false;
await ingestCapture(store, capture, {
  batchRows: Number(batchRows),
  commitRows: Number(batchRows),
  onProgress: () => {
    if (said) return;
    said = true;
    process.stdout.write('committed\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000); // until killed
  },
});
store.close();
