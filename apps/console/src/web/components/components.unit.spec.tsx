import { ApiError, type AttemptView } from '@stagehook/sdk';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sortProblems } from '../graph';
import { AttemptInspector } from './AttemptInspector';
import { SecretReveal } from './SecretReveal';
import { StageCard } from './StageCard';

afterEach(cleanup);

describe('canvas validation display', () => {
  // The workflow service's own wording (apps/workflow/src/domain/graph.ts validateGraph).
  const problems = [
    "stage 'w1': required edge 'failed' is missing",
    "stage 'w1': edge 'succeeded' points at unknown stage 'gone'",
    "stage 'r1' is not reachable from the dataset stage",
    'at least one complete stage is required',
  ];

  it('sorts each problem onto the stage and edge it names, and keeps graph-wide ones apart', () => {
    const sorted = sortProblems(problems);
    expect(sorted.byStage.get('w1')).toEqual([problems[0], problems[1]]);
    expect(sorted.byStage.get('r1')).toEqual([problems[2]]);
    expect(sorted.byEdge.get('w1/succeeded')).toEqual([problems[1]]);
    expect(sorted.byEdge.get('w1/failed')).toEqual([problems[0]]);
    expect(sorted.general).toEqual([problems[3]]);
  });

  it("shows a stage's problems on its card and marks it invalid", () => {
    const sorted = sortProblems(problems);
    render(<StageCard name="Webhook" type="webhook" count={3} problems={sorted.byStage.get('w1') ?? []} />);
    const list = screen.getByRole('list', { name: 'Problems with Webhook' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([problems[0], problems[1]]);
    expect(screen.getByLabelText('3 items in stage').textContent).toBe('3');
    expect(list.closest('[aria-invalid]')?.getAttribute('aria-invalid')).toBe('true');
  });

  it('shows no problem list and no invalid mark on a valid stage', () => {
    render(<StageCard name="Review" type="review" count={0} problems={[]} />);
    expect(screen.queryByRole('list')).toBeNull();
    expect(document.querySelector('[aria-invalid]')).toBeNull();
  });
});

describe('attempt inspector', () => {
  const attempts: AttemptView[] = [
    {
      deliveryId: 'd1',
      n: 1,
      startedAt: '2026-11-30T10:00:00.000Z',
      durationMs: 31,
      statusCode: 503,
      error: 'HTTP 503',
      requestHeaders: { 'webhook-id': 'd1', authorization: '[redacted]' },
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: 'try later',
      sentBy: 'delivery@host',
    },
    {
      deliveryId: 'd1',
      n: 2,
      startedAt: '2026-11-30T10:00:05.000Z',
      durationMs: 12,
      statusCode: 200,
      error: null,
      requestHeaders: { 'webhook-id': 'd1' },
      responseHeaders: null,
      responseBody: '{"ok":true}',
      sentBy: 'delivery@host',
    },
  ];

  it('lists attempts newest first with status, duration, error, headers and body', () => {
    render(<AttemptInspector attempts={attempts} />);
    const items = within(screen.getByRole('list', { name: 'Attempts' })).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('aria-label'))).toEqual(['Attempt 2', 'Attempt 1']);
    const first = screen.getByRole('listitem', { name: 'Attempt 1' });
    expect(first.textContent).toContain('31 ms');
    expect(first.textContent).toContain('HTTP 503');
    expect(within(first).getByLabelText('Response body of attempt 1').textContent).toBe('try later');
    const headers = within(first).getByRole('table', { name: 'Request headers of attempt 1', hidden: true });
    expect(headers.textContent).toContain('authorization[redacted]');
  });

  it('says when there is no attempt yet', () => {
    render(<AttemptInspector attempts={[]} />);
    expect(screen.getByText('No attempt yet.')).toBeTruthy();
  });
});

describe('secret reveal', () => {
  it('shows the secret once, and says a second reveal was refused when the API answers 409', async () => {
    const user = userEvent.setup();
    const reveal = vi
      .fn<() => Promise<string>>()
      .mockResolvedValueOnce('whsec_c2VjcmV0c2VjcmV0c2VjcmV0')
      .mockRejectedValueOnce(new ApiError(409, { statusCode: 409, error: 'CONFLICT', message: 'already revealed' }));
    render(<SecretReveal hint="whsec_…cmV0" revealed={false} reveal={reveal} />);
    expect(screen.getByLabelText('Signing secret hint').textContent).toBe('whsec_…cmV0');

    await user.click(screen.getByRole('button', { name: 'Reveal secret' }));
    expect(await screen.findByText('whsec_c2VjcmV0c2VjcmV0c2VjcmV0')).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain('cannot be revealed again');

    await user.click(screen.getByRole('button', { name: 'Hide' }));
    expect(screen.getByLabelText('Signing secret hint').textContent).toBe('whsec_…cmV0');
    await user.click(screen.getByRole('button', { name: 'Reveal secret' }));
    expect((await screen.findByRole('alert')).textContent).toContain('already revealed once');
    expect(screen.getByLabelText('Signing secret hint').textContent).toBe('whsec_…cmV0');
    expect(reveal).toHaveBeenCalledTimes(2);
  });

  it('shows other failures as they are', async () => {
    const user = userEvent.setup();
    render(<SecretReveal hint="h" revealed={true} reveal={() => Promise.reject(new ApiError(503, undefined))} />);
    expect(screen.getByText(/Already revealed once/)).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Reveal secret' }));
    expect((await screen.findByRole('alert')).textContent).toBe('HTTP 503');
  });
});
