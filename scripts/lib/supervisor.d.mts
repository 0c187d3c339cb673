// Types of scripts/lib/supervisor.mjs for the TypeScript tests that drive it.
export interface ProcessSpec {
  name: string;
  script: string;
  env: Record<string, string>;
  healthUrl?: string;
}

export interface SupervisorOptions {
  cwd: string;
  logDir: string;
  runFile?: string;
  maxStartFailures?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  healthTimeoutMs?: number;
  print?: (line: string) => void;
  onFatal?: (reason: string) => void;
}

export class Supervisor {
  constructor(opts: SupervisorOptions);
  start(spec: ProcessSpec): Promise<void>;
  waitHealthy(name: string, timeoutMs?: number): Promise<void>;
  restarts(): Record<string, number>;
  pids(): Record<string, number>;
  logPath(name: string): string;
  stop(graceMs?: number): Promise<void>;
}
