import { jestConfig } from '../jest.base.js';

export default { ...jestConfig({ tier: process.env.JEST_TIER ?? 'int' }), testTimeout: 180_000 };
