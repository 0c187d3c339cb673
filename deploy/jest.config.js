import { jestConfig } from '../jest.base.js';

export default { ...jestConfig({ tier: process.env.JEST_TIER ?? 'unit' }), testTimeout: process.env.JEST_TIER === 'int' ? 180_000 : 30_000 };
