import { load } from 'js-yaml';
import type { KubeConfigMap } from '../../inventory/reader';

/**
 * The aws-auth ConfigMap read exactly as the EKS authenticator reads it (kubernetes-sigs/aws-iam-authenticator,
 * pkg/mapper/configmap: ParseMap, MapStore; pkg/config: RoleMapping, UserMapping, Validate, Key, Matches):
 * - each of `data.mapRoles` / `data.mapUsers` (top-level keys are case-sensitive) goes through sigs.k8s.io/yaml: the
 *   first YAML document only, duplicate keys resolved by the last one (yaml.v2), JSON object keys sorted by byte;
 *   a value starting with `{` is taken as JSON as is; "", ``, "" and '' are skipped;
 * - Go's encoding/json fills each entry: keys match fields case-insensitively (with Go's folding: `groupſ` is
 *   `groups`), unknown keys are ignored, a value of the wrong type leaves its field as it was, and a value that is not a
 *   list maps nothing;
 * - each entry is validated alone (rolearn xor sso; userarn set) and a bad one is dropped, the others kept;
 * - roles are stored by lower-cased ARN (or SSO pattern), users by ARN as written: the last entry for a key wins; a
 *   role mapping is looked up before a user mapping for the same caller.
 */

export interface AwsAuthMapping {
  key: 'mapRoles' | 'mapUsers';
  index: number;
  /** rolearn / userarn as written, or the role ARN pattern an `sso` entry matches (the authenticator's SSOArnLike). */
  arn: string;
  sso?: { permissionSetName: string; accountID: string; partition?: string };
  username?: string;
  groups: string[];
  /** Why no caller can match this entry today (the authenticator compares path-less role ARNs…), when none can. */
  matchesNoCallerToday?: string;
}

/** endpoints.PARTITIONS of the authenticator. */
const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc'];

/** Go's encoding/json key folding: ASCII case, and the two non-ASCII letters that fold into ASCII (ſ → S, K → K). */
function goFold(key: string): string {
  return [...key].map((c) => (c === 'ſ' ? 'S' : c === '\u212a' ? 'K' : c >= 'a' && c <= 'z' ? c.toUpperCase() : c)).join('');
}

/** Go's json.Marshal sorts map keys by their bytes; Unmarshal then applies them in that order (the last match wins). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

type Decoded = { arn?: string; username?: string; groups?: string[]; sso?: Record<string, string> | null };

/** One entry decoded as Go would: unknown keys ignored, wrong types leave the field unchanged, arrays of mixed types keep "" holes. */
function decodeEntry(item: unknown, arnField: 'ROLEARN' | 'USERARN'): Decoded {
  const out: Decoded = {};
  if (!item || typeof item !== 'object' || Array.isArray(item)) return out;
  const rec = item as Record<string, unknown>;
  for (const key of Object.keys(rec).sort(byBytes)) {
    const v = rec[key];
    const field = goFold(key);
    if (field === arnField && typeof v === 'string') out.arn = v;
    else if (field === 'USERNAME' && typeof v === 'string') out.username = v;
    else if (field === 'GROUPS' && (Array.isArray(v) || v === null)) out.groups = v === null ? [] : v.map((g) => (typeof g === 'string' ? g : ''));
    else if (field === 'SSO' && arnField === 'ROLEARN') {
      if (v === null) out.sso = null;
      else if (v && typeof v === 'object' && !Array.isArray(v)) out.sso = decodeSso(v as Record<string, unknown>);
    }
  }
  return out;
}

function decodeSso(v: Record<string, unknown>): Record<string, string> {
  const names: Record<string, string> = { PERMISSIONSETNAME: 'permissionSetName', ACCOUNTID: 'accountID', PARTITION: 'partition' };
  const out: Record<string, string> = {};
  for (const key of Object.keys(v).sort(byBytes)) {
    const name = names[goFold(key)];
    if (name && typeof v[key] === 'string') out[name] = v[key] as string;
  }
  return out;
}

/** RoleMapping.Validate / UserMapping.Validate; the SSO pattern (SSOArnLike) of a valid SSO entry. */
function validate(key: AwsAuthMapping['key'], d: Decoded, index: number): AwsAuthMapping | undefined {
  const base = { key, index, ...(d.username !== undefined ? { username: d.username } : {}), groups: d.groups ?? [] };
  if (key === 'mapUsers') return d.arn ? { ...base, arn: d.arn } : undefined;
  const sso = d.sso ?? undefined;
  if (!d.arn === !sso) return undefined; // neither, or both
  if (d.arn) return { ...base, arn: d.arn };
  const { permissionSetName = '', accountID = '', partition = '' } = sso!;
  if (!/^[0-9]{12}$/.test(accountID) || !/^[\w+=,.@-]{1,32}$/.test(permissionSetName) || (partition !== '' && !PARTITIONS.includes(partition))) return undefined;
  // SSOArnLike: the partition is filled in only when none is given (so an explicit one yields "arn::iam::…").
  const arn = `arn:${partition === '' ? 'aws' : ''}:iam::${accountID}:role/AWSReservedSSO_${permissionSetName}_*`.toLowerCase();
  return { ...base, arn, sso: { permissionSetName, accountID, ...(partition ? { partition } : {}) } };
}

/** Why a stored mapping can match no caller today (callers are matched by their canonical, path-less ARN). */
function inert(m: AwsAuthMapping): string | undefined {
  if (m.sso) return m.sso.partition ? 'an sso entry with an explicit partition yields the pattern "arn::iam::…", which no ARN matches' : undefined;
  const r = /^arn:[^:]*:(iam|sts)::[^:]*:([^/]+)\/(.+)$/.exec(m.arn);
  if (!r) return 'it is not an IAM role or user ARN';
  if (r[1] === 'sts') return 'callers are matched by their IAM role ARN, never an sts assumed-role ARN';
  if (r[2] === 'role' && r[3].includes('/')) return 'the authenticator compares callers by their role ARN without its path, so an ARN with a path matches no one';
  return undefined;
}

function skippable(text: string): boolean {
  return ['', '``', '""', "''"].includes(text.trim());
}

/** yaml.v2 reads the first document and ignores the rest: cut the text at the next document marker. */
function firstDocument(text: string): string {
  const lines = text.split('\n');
  let content = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\.\.\.(\s|$)/.test(line) || (content && /^---(\s|$)/.test(line))) return lines.slice(0, i).join('\n');
    if (/^---(\s|$)/.test(line)) {
      content = content || line.slice(3).trim() !== '';
      continue;
    }
    if (line.trim() !== '' && !line.trimStart().startsWith('#') && !line.startsWith('%')) content = true;
  }
  return text;
}

function parseList(key: AwsAuthMapping['key'], text: string): unknown[] {
  // A JSON object is handed to encoding/json as is, which cannot fill a list: nothing is mapped.
  if (skippable(text) || text.trimStart().startsWith('{')) return [];
  let doc: unknown;
  try {
    // `json: true`: a duplicate key overrides the earlier one (yaml.v2), instead of failing the whole value.
    doc = load(firstDocument(text), { json: true });
  } catch (e) {
    // The authenticator would drop the whole value too, but its YAML parser is not ours: do not guess which one fails.
    throw new Error(`aws-auth data.${key} is not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  return Array.isArray(doc) ? doc : [];
}

/**
 * The mappings the authenticator keeps, in order: each valid entry, only the last for a given key (roles: the
 * lower-cased ARN or SSO pattern; users: the ARN as written), and no user mapping a role mapping for the same ARN
 * shadows. A value that is not valid YAML throws (the rule is then not evaluated).
 */
export function awsAuthMappings(cm: KubeConfigMap | undefined): AwsAuthMapping[] {
  const stores = { mapRoles: new Map<string, AwsAuthMapping>(), mapUsers: new Map<string, AwsAuthMapping>() };
  for (const key of ['mapRoles', 'mapUsers'] as const) {
    const text = cm?.data?.[key];
    if (text === undefined) continue;
    parseList(key, text).forEach((item, index) => {
      const m = validate(key, decodeEntry(item, key === 'mapRoles' ? 'ROLEARN' : 'USERARN'), index);
      if (!m) return;
      const storeKey = key === 'mapRoles' ? m.arn.toLowerCase() : m.arn;
      stores[key].delete(storeKey);
      const why = inert(m);
      stores[key].set(storeKey, why ? { ...m, matchesNoCallerToday: why } : m);
    });
  }
  const users = [...stores.mapUsers.values()].filter((u) => !stores.mapRoles.has(u.arn.toLowerCase()));
  return [...stores.mapRoles.values(), ...users];
}

/** What each template of renderTemplate can become; a group is rendered per caller at authentication time. */
const TEMPLATES: Record<string, string> = {
  '{{EC2PrivateDNSName}}': '[a-z0-9-]+(\\.[a-z0-9-]+)+',
  '{{AccountID}}': '[0-9]{12}',
  // The role session name the caller chose, "@" replaced by "-".
  '{{SessionName}}': '[A-Za-z0-9_+=,.-]{2,64}',
  '{{SessionNameRaw}}': '[A-Za-z0-9_+=,.@-]{2,64}',
  '{{AccessKeyID}}': '[A-Z0-9]{16,128}',
};

/**
 * The group of a mapping that puts its caller in `group`: the group itself, or a template some caller can render
 * into it (`system:{{SessionName}}` with a session named "masters"). Users have no session name.
 */
export function grantingGroup(m: AwsAuthMapping, group: string): string | undefined {
  return m.groups.find((g) => {
    if (g === group) return true;
    if (!g.includes('{{')) return false;
    const pattern = g
      .split(/(\{\{[A-Za-z0-9]+\}\})/)
      .map((part) => {
        const t = TEMPLATES[part];
        if (!t) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        return m.key === 'mapUsers' && part.startsWith('{{SessionName') ? '' : `(?:${t})`;
      })
      .join('');
    return new RegExp(`^${pattern}$`).test(group);
  });
}
