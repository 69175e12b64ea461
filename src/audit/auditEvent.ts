import { z } from 'zod';
import { formatZodError } from '../errors';

/**
 * One kube-apiserver audit record (`audit.k8s.io/v1` Event) as EKS writes it to the `kube-apiserver-audit-*` streams
 * of `/aws/eks/<cluster>/cluster`. Only the fields the detector reads are checked; the rest (requestObject,
 * responseObject, annotations…) passes through, so a field added by a later Kubernetes version never turns a real
 * write into an invalid line. Enumerations (level, stage, verb) are read as strings for the same reason.
 */
const userInfoSchema = z
  .object({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
    // EKS's authenticator puts the IAM identity behind the Kubernetes user here: arn, canonicalArn, sessionName…
    extra: z.record(z.array(z.string())).optional(),
  })
  .passthrough();

const objectRefSchema = z
  .object({
    resource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    apiGroup: z.string().optional(),
    apiVersion: z.string().optional(),
    subresource: z.string().optional(),
  })
  .passthrough();

const auditEventSchema = z
  .object({
    kind: z.literal('Event'),
    apiVersion: z.literal('audit.k8s.io/v1'),
    level: z.string().min(1),
    auditID: z.string().min(1),
    stage: z.string().min(1),
    requestURI: z.string(),
    verb: z.string().min(1),
    user: userInfoSchema,
    impersonatedUser: userInfoSchema.optional(),
    sourceIPs: z.array(z.string()).optional(),
    userAgent: z.string().optional(),
    objectRef: objectRefSchema.optional(),
    responseStatus: z.object({ code: z.number().int().optional() }).passthrough().optional(),
    requestReceivedTimestamp: z.string().optional(),
    stageTimestamp: z.string().optional(),
  })
  .passthrough();

export type AuditEvent = z.infer<typeof auditEventSchema>;

type ParsedAuditLine = { ok: true; event: AuditEvent } | { ok: false; reason: string };

/** Parses one log event's message; `reason` says why it is not an audit.k8s.io/v1 Event. */
export function parseAuditLine(message: string): ParsedAuditLine {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  const r = auditEventSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: `not an audit.k8s.io/v1 Event ${formatZodError(r.error, 3)}` };
  return { ok: true, event: r.data };
}
