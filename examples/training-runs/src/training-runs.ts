import { randomUUID } from 'node:crypto';
import { migrateOutbox, Publisher } from '@stagehook/publisher';
import type pg from 'pg';
import { eventVersions, type Events } from './events.js';

export interface TrainingRun {
  id: string;
  model: string;
  status: 'running' | 'completed';
  accuracy: number | null;
  epochs: number | null;
  completedAt: string | null;
}

/**
 * The service's own state (a `training_runs` table) and its events, written together: completing
 * a run updates the row and enqueues `model.training.completed` in one transaction. Either both
 * happen or neither; the outbox relay sends the event once the transaction has committed.
 */
export class TrainingRuns {
  private readonly publisher: Publisher<Events>;

  constructor(
    private readonly pool: pg.Pool,
    projectId: string,
  ) {
    this.publisher = new Publisher<Events>({ projectId, versions: eventVersions });
  }

  async migrate(): Promise<void> {
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS training_runs (
        id uuid PRIMARY KEY,
        model text NOT NULL,
        status text NOT NULL,
        accuracy double precision,
        epochs integer,
        completed_at timestamptz
      )`);
    await migrateOutbox(this.pool);
  }

  async start(model: string): Promise<TrainingRun> {
    const id = randomUUID();
    await this.pool.query(`INSERT INTO training_runs (id, model, status) VALUES ($1, $2, 'running')`, [id, model]);
    return { id, model, status: 'running', accuracy: null, epochs: null, completedAt: null };
  }

  /** Completes a running run and announces it; a run that is not running changes nothing and sends nothing. */
  async complete(id: string, result: { accuracy: number; epochs: number }): Promise<TrainingRun | undefined> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ model: string; completed_at: Date }>(
        `UPDATE training_runs SET status = 'completed', accuracy = $2, epochs = $3, completed_at = now()
         WHERE id = $1 AND status = 'running' RETURNING model, completed_at`,
        [id, result.accuracy, result.epochs],
      );
      if (rows.length === 0) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const completedAt = rows[0].completed_at.toISOString();
      await this.publisher.enqueue(
        client,
        'model.training.completed',
        { runId: id, model: rows[0].model, accuracy: result.accuracy, epochs: result.epochs, completedAt },
        { subject: id },
      );
      await client.query('COMMIT');
      return { id, model: rows[0].model, status: 'completed', accuracy: result.accuracy, epochs: result.epochs, completedAt };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
