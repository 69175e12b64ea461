import { auditLogHandler } from '../src/runtime';

export const handler = auditLogHandler();
