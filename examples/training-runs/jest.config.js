import { jestConfig } from '../../jest.base.js';

export default jestConfig({ tier: process.env.JEST_TIER ?? 'unit' });
