import { sweepHandler } from '../src/runtime';

export const handler = sweepHandler();
