import { eventHandler } from '../src/runtime';

export const handler = eventHandler('iamChanged');
