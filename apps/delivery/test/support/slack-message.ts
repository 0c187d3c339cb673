/**
 * The constraints Slack documents for an incoming-webhook message and the blocks we send
 * (docs.slack.dev: "Sending messages using incoming webhooks", Block Kit reference for the
 * header, section and context blocks, and composition objects): `text` or `blocks` required; at
 * most 50 blocks; header: `plain_text` of at most 150 characters; section: `text` of type
 * `mrkdwn` or `plain_text`, at most 3,000 characters; context: 1–10 elements, each a text
 * object. Returns every violation with its JSON pointer, as Slack's blocks.validate would.
 */
export function slackMessageProblems(msg: unknown): string[] {
  const problems: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const textObject = (v: unknown, at: string, types: string[], max: number) => {
    if (!isObj(v)) return void problems.push(`${at}: must be a text object`);
    if (!types.includes(String(v.type))) problems.push(`${at}/type: must be one of ${types.join(', ')}`);
    if (typeof v.text !== 'string' || v.text.length === 0) problems.push(`${at}/text: must be a non-empty string`);
    else if (v.text.length > max) problems.push(`${at}/text: at most ${max} characters (has ${v.text.length})`);
  };
  if (!isObj(msg)) return ['/: must be an object'];
  if (msg.text === undefined && msg.blocks === undefined) problems.push('/: text or blocks is required');
  if (msg.text !== undefined && typeof msg.text !== 'string') problems.push('/text: must be a string');
  if (msg.blocks !== undefined) {
    if (!Array.isArray(msg.blocks)) return [...problems, '/blocks: must be an array'];
    if (msg.blocks.length > 50) problems.push('/blocks: at most 50 blocks');
    msg.blocks.forEach((b: unknown, i) => {
      const at = `/blocks/${i}`;
      if (!isObj(b)) return void problems.push(`${at}: must be an object`);
      switch (b.type) {
        case 'header':
          textObject(b.text, `${at}/text`, ['plain_text'], 150);
          break;
        case 'section':
          textObject(b.text, `${at}/text`, ['mrkdwn', 'plain_text'], 3000);
          break;
        case 'context':
          if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10) problems.push(`${at}/elements: 1 to 10 elements`);
          else b.elements.forEach((e: unknown, k) => textObject(e, `${at}/elements/${k}`, ['mrkdwn', 'plain_text'], 3000));
          break;
        default:
          problems.push(`${at}/type: ${String(b.type)} is not a block this test knows`);
      }
    });
  }
  return problems;
}
