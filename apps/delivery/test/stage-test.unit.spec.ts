import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { StageEnteredData } from '@stagehook/contracts';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { stageEnteredBody } from '../src/domain/payload.js';
import { parseStageTest, sampleItem } from '../src/commands/test-stage/test-stage.rpc.js';

const request = { projectId: 'p1', endpointId: 'ep1', workflowId: 'wf1', workflowVersion: 2, stageId: 'wh', stageName: 'QA hook' };

describe('the stage Test button request', () => {
  it('takes an optional item and annotation override', () => {
    expect(parseStageTest({ ...request, itemId: 'img-1', includeAnnotations: true })).toEqual({ ...request, itemId: 'img-1', includeAnnotations: true });
    expect(parseStageTest(request)).toEqual(request);
  });

  it('names what is wrong with a bad request', () => {
    expect(parseStageTest({ ...request, stageId: 'a b' })).toMatch(/stageId/);
    expect(parseStageTest({ ...request, workflowVersion: 0 })).toMatch(/workflowVersion/);
    expect(parseStageTest({ ...request, itemId: 7 })).toMatch(/itemId/);
    expect(parseStageTest(null)).toMatch(/required/);
  });

  it('sends a sample item shaped like a real stage payload, with a Darwin 2.0 document when annotations are on', () => {
    const { item, darwin } = sampleItem('p1', 1);
    const entered = plainToInstance(StageEnteredData, {
      workflowId: 'wf1',
      workflowVersion: 2,
      stageId: 'wh',
      stageType: 'webhook',
      stageName: 'QA hook',
      itemId: item.id,
      visitId: 'test_1',
      itemVersion: item.version,
      projectId: 'p1',
      enteredAt: '2026-03-01T12:00:00.000Z',
    });
    // The same contract a real stage entry satisfies.
    expect(validateSync(entered)).toEqual([]);
    const body = stageEnteredBody(entered, item, darwin);
    expect(body.type).toBe('workflow.stage.entered');
    expect(body.data).toMatchObject({
      stageId: 'wh',
      itemId: 'sample-item',
      item: { name: 'sample.jpg', slots: [{ width: 1920, height: 1080 }] },
      annotations: { version: '2.0' },
    });
  });
});
