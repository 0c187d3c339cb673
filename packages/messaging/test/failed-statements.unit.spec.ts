import { describe, expect, it } from '@jest/globals';
import { watchFailedStatements } from '../src/consumer/failed-statements.js';

/** A stand-in for a pg client: `query` resolves or rejects as the statement says. */
class FakeClient {
  query(text: string, callback?: (err: Error | null) => void): Promise<string> | undefined {
    if (callback) {
      callback(null);
      return undefined;
    }
    return text === 'fail' ? Promise.reject(new Error('division by zero')) : text === 'hang' ? new Promise<string>(() => undefined) : Promise.resolve(text);
  }
}

describe('watchFailedStatements', () => {
  it('says nothing failed while every statement succeeded', async () => {
    const client = new FakeClient();
    const failed = watchFailedStatements(client);
    await expect(client.query('SELECT 2')).resolves.toBe('SELECT 2');
    await client.query('INSERT');
    expect(failed.any).toBe(false);
  });

  it('sees a failed statement whose error the caller swallowed, and the caller still gets the error', async () => {
    const client = new FakeClient();
    const failed = watchFailedStatements(client);
    await expect(client.query('fail')).rejects.toThrow('division by zero');
    expect(failed.any).toBe(true);
  });

  it('counts a statement still running, and one whose outcome it does not follow, as failed', async () => {
    const running = new FakeClient();
    const a = watchFailedStatements(running);
    void running.query('hang');
    expect(a.any).toBe(true);
    const callback = new FakeClient();
    const b = watchFailedStatements(callback);
    void callback.query('SELECT 1', () => undefined);
    expect(b.any).toBe(true);
  });

  it('puts the client back as it was when stopped', async () => {
    const client = new FakeClient();
    const failed = watchFailedStatements(client);
    expect(Object.prototype.hasOwnProperty.call(client, 'query')).toBe(true);
    failed.stop();
    expect(Object.prototype.hasOwnProperty.call(client, 'query')).toBe(false);
    await client.query('fail')?.catch(() => undefined);
    expect(failed.any).toBe(false);
  });
});
