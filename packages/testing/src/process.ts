import { type ChildProcess, spawn } from 'node:child_process';
import { until } from './until.js';

export interface ServiceProcessOptions {
  /** The compiled entry point (`apps/<service>/dist/main.js`). */
  script: string;
  /** Node's own flags (`--cpu-prof` …, which NODE_OPTIONS does not take), before the script. */
  nodeArgs?: string[];
  cwd: string;
  /** The whole environment (only PATH is added): nothing leaks in from the test's own. */
  env: Record<string, string>;
  /** Where /health is answered once the service is up. */
  healthUrl: string;
  /** Named in errors. */
  label: string;
  /** Every line the process writes to stdout and stderr is appended here. */
  logs: string[];
  /** Told of the child as soon as it exists, so one that never gets healthy can still be stopped. */
  onSpawn?: (child: ChildProcess) => void;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * A service as a real process, resolved once its /health answers 200; rejects with the last log
 * lines if it exits first.
 */
export async function startServiceProcess(o: ServiceProcessOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), o.script], { cwd: o.cwd, env: { PATH: process.env.PATH ?? '', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  o.onSpawn?.(child);
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      o.logs.push(...lines.filter(Boolean));
    });
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${o.label} exited (${signal ?? code}) while starting:\n${o.logs.slice(-20).join('\n')}`));
  await until(
    async () => {
      if (exited) throw new Error(exited);
      try {
        return (await fetch(o.healthUrl)).ok;
      } catch {
        return false;
      }
    },
    { timeoutMs: o.timeoutMs ?? 60_000, intervalMs: o.intervalMs ?? 100, message: `${o.label} healthy` },
  );
  return child;
}
