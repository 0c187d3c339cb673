import type { QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { getToken } from './session';

export interface LiveEvent {
  id: string;
  type: string;
  time: string;
  source: string;
  data: Record<string, unknown> | undefined;
}

type Status = 'connecting' | 'live' | 'offline';

const WINDOW = 500;

/**
 * The project's events from `/api/live`, read with fetch (the token goes in a header, never a
 * URL) and parsed as Server-Sent Events. Views subscribe to the recent events and react-query
 * caches are invalidated by event type, batched so a burst of events is one refetch.
 */
class LiveStore {
  status: Status = 'offline';
  recent: LiveEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private abort: AbortController | undefined;
  private pending = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = 500;

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private emit() {
    for (const l of this.listeners) l();
  }

  private setStatus(s: Status) {
    if (this.status !== s) {
      this.status = s;
      this.emit();
    }
  }

  start(queryClient: QueryClient) {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    void this.loop(queryClient, abort.signal);
  }

  stop() {
    this.abort?.abort();
    this.abort = undefined;
    this.setStatus('offline');
  }

  private async loop(queryClient: QueryClient, signal: AbortSignal) {
    while (!signal.aborted) {
      const token = getToken();
      if (!token) return this.setStatus('offline');
      this.setStatus('connecting');
      try {
        const res = await fetch('/api/live', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal });
        if (!res.ok || !res.body) throw new Error(`live feed answered ${res.status}`);
        this.retryMs = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            this.onBlock(block, queryClient);
          }
        }
      } catch {
        if (signal.aborted) return;
      }
      this.setStatus('connecting');
      await new Promise((r) => setTimeout(r, this.retryMs));
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    }
  }

  private onBlock(block: string, queryClient: QueryClient) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (event === 'ready') return this.setStatus('live');
    if (event !== 'message' || data.length === 0) return;
    let parsed: LiveEvent;
    try {
      parsed = JSON.parse(data.join('\n')) as LiveEvent;
    } catch {
      return;
    }
    this.recent = [...this.recent.slice(-(WINDOW - 1)), parsed];
    this.emit();
    this.invalidateFor(parsed.type, queryClient);
  }

  private invalidateFor(type: string, queryClient: QueryClient) {
    const head = type.split('.')[0];
    if (head === 'workflow') this.pending.add('stages').add('workflow-items');
    if (head === 'item') this.pending.add('items').add('item').add('stages');
    if (head === 'delivery') this.pending.add('deliveries').add('attempts').add('circuits');
    if (head === 'webhook') this.pending.add('endpoints');
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const keys = [...this.pending];
      this.pending.clear();
      for (const key of keys) void queryClient.invalidateQueries({ queryKey: [key] });
    }, 250);
  }
}

export const live = new LiveStore();

export function useLiveStatus(): Status {
  return useSyncExternalStore(live.subscribe, () => live.status);
}

export function useLiveEvents(): LiveEvent[] {
  return useSyncExternalStore(live.subscribe, () => live.recent);
}
