import type { ChildProcess } from 'node:child_process';

export function natsServerBinary(): string;
export function freeBasePort(from: number, size?: number): Promise<number>;

export interface ClusterNode {
  name: string;
  port: number;
  routePort: number;
  monitorPort: number;
  storeDir: string;
  child: ChildProcess | undefined;
}

export class NatsCluster {
  constructor(opts: { dataDir: string; basePort?: number; size?: number; name?: string; ownGroup?: boolean });
  readonly dataDir: string;
  readonly nodes: ClusterNode[];
  readonly urls: string;
  node(name: string): ClusterNode;
  start(timeoutMs?: number): Promise<void>;
  waitHealthy(node: ClusterNode, timeoutMs?: number): Promise<void>;
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  restart(name: string, timeoutMs?: number): Promise<void>;
  pids(): Record<string, number>;
  stop(graceMs?: number): Promise<void>;
  raftGroups(): string[];
  streams(): Promise<Record<string, { replicas: number; leader?: string }>>;
}
