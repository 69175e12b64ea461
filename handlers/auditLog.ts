import { auditLogHandler } from '../src/audit/runtime';

export const handler = auditLogHandler();
