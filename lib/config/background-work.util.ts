/**
 * One-shot processes (the `talkto` CLI) load the host's module as it is, which would also start
 * queue workers and timers in them. `TALKTO_BACKGROUND_WORK=off` keeps those asleep: the process
 * can still read, write and queue, and the host's long-running instances do the work.
 */
export function isBackgroundWorkEnabled(): boolean {
  return process.env.TALKTO_BACKGROUND_WORK !== 'off';
}
