import { Writable } from 'node:stream';

/** A pino destination that keeps every line, parsed, for assertions on what was logged. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly raw: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }

  find(predicate: (line: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.lines.find(predicate);
  }

  text(): string {
    return this.raw.join('\n');
  }
}
