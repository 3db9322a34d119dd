/**
 * Ctrl-C and SIGTERM for commands that stop cleanly: the first calls `stop`
 * (the command ends what it must, such as writing open flows or committing
 * what it has read, and exits); a second exits at once.
 * @module
 */
export function onStopSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return () => process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
}
