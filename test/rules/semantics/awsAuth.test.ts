import { evaluateCluster } from '../../../src/rules/engine/evaluate';
import { ACCOUNT, check, clusterView, config } from '../fixtures';

/**
 * aws-auth read exactly as the EKS authenticator (kubernetes-sigs/aws-iam-authenticator, pkg/mapper/configmap) reads
 * it: sigs.k8s.io/yaml turns each value into JSON (duplicate keys: the last wins; object keys sorted by byte), Go's
 * encoding/json fills RoleMapping/UserMapping matching keys case-insensitively, each entry is validated on its own,
 * and the mappings are stored by ARN (the last entry for an ARN wins). Each case is the exact YAML an attacker or a
 * careless edit would write.
 */
const OPS = `arn:aws:iam::${ACCOUNT}:role/ops-admin`;
const view = (data: Record<string, string>) =>
  clusterView({ cluster: { accessConfig: { authenticationMode: 'CONFIG_MAP' } }, kubernetes: { awsAuth: { metadata: { name: 'aws-auth', namespace: 'kube-system' }, data } } });
const masters = (data: Record<string, string>) => check('no-system-masters', view(data)).map((f) => f.resourceId);

describe('aws-auth as the authenticator reads it (no-system-masters)', () => {
  it.each([
    ['RoleARN: / Groups:', `- RoleARN: ${OPS}\n  Groups:\n    - system:masters\n`],
    ['crazy case', `- rOlEaRn: ${OPS}\n  uSeRnAmE: ops\n  gRoUpS: [system:masters]\n`],
    ['roleARN (open-source spelling)', `- roleARN: ${OPS}\n  groups: [system:masters]\n`],
    ["long s folding to s ('groupſ', Go's case folding)", `- rolearn: ${OPS}\n  groupſ: [system:masters]\n`],
  ])('honours key case like Go: %s', (_name, mapRoles) => {
    expect(masters({ mapRoles })).toEqual([OPS]);
  });

  it('honours UserARN: in mapUsers', () => {
    expect(masters({ mapUsers: `- UserARN: arn:aws:iam::${ACCOUNT}:user/alice\n  Groups: [system:masters]\n` })).toEqual([`arn:aws:iam::${ACCOUNT}:user/alice`]);
  });

  it('top-level data keys are case-sensitive: MapRoles is ignored by the authenticator, and by us', () => {
    expect(masters({ MapRoles: `- rolearn: ${OPS}\n  groups: [system:masters]\n` })).toEqual([]);
  });

  it('duplicate keys in one entry: the last one wins (yaml.v2), whichever way round', () => {
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [view]\n  groups: [system:masters]\n` })).toEqual([OPS]);
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [system:masters]\n  groups: [view]\n` })).toEqual([]);
  });

  it('keys differing in case: JSON keys are sorted by byte, so the lower-case one is applied last', () => {
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [system:masters]\n  Groups: [view]\n` })).toEqual([OPS]);
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  Groups: [system:masters]\n  groups: [view]\n` })).toEqual([]);
  });

  it('two entries for the same role (ARN compared case-insensitively): the last one wins', () => {
    const ops = OPS.replace('ops-admin', 'OPS-admin');
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [system:masters]\n- rolearn: ${ops}\n  groups: [view]\n` })).toEqual([]);
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [view]\n- rolearn: ${ops}\n  groups: [system:masters]\n` })).toEqual([ops]);
  });

  it('unknown keys are ignored; a bad entry is dropped alone (no rolearn, both rolearn and sso), the others still apply', () => {
    const mapRoles = [
      `- rolearn: ${OPS}\n  groups: [system:masters]\n  comment: break-glass\n`,
      `- username: nobody\n  groups: [system:masters]\n`,
      `- rolearn: arn:aws:iam::${ACCOUNT}:role/both\n  sso: {permissionSetName: Admin, accountID: "${ACCOUNT}"}\n  groups: [system:masters]\n`,
    ].join('');
    expect(masters({ mapRoles })).toEqual([OPS]);
  });

  it('a field of the wrong type is dropped, not the entry (Go decodes the rest): groups as a string grants nothing', () => {
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: system:masters\n- rolearn: ${OPS}-2\n  groups: [system:masters]\n` })).toEqual([`${OPS}-2`]);
  });

  it('a value that is not a list maps nothing (the authenticator drops it); one that is not YAML is not evaluated', () => {
    expect(masters({ mapRoles: `{"rolearn": "${OPS}", "groups": ["system:masters"]}` })).toEqual([]);
    expect(masters({ mapRoles: `rolearn: ${OPS}\ngroups: [system:masters]\n` })).toEqual([]);
    const bad = evaluateCluster(view({ mapRoles: '- rolearn: [unclosed' }), config(), ['no-system-masters']);
    expect(bad.notEvaluated[0].reason).toMatch(/aws-auth data.mapRoles is not valid YAML/);
  });

  it('empty values the authenticator skips ("", ``, \'\') map nothing', () => {
    expect(masters({ mapRoles: '``', mapUsers: "''" })).toEqual([]);
  });

  it('only the first YAML document counts', () => {
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [view]\n---\n- rolearn: ${OPS}\n  groups: [system:masters]\n` })).toEqual([]);
  });

  it('a group template the caller can render into system:masters counts ({{SessionName}} is the caller\'s choice)', () => {
    const [f] = check('no-system-masters', view({ mapRoles: `- rolearn: ${OPS}\n  username: ops:{{SessionName}}\n  groups: ["system:{{SessionName}}"]\n` }));
    expect(f.resourceId).toBe(OPS);
    expect(f.message).toContain('system:{{SessionName}}');
    // A session name cannot contain ":", so a bare {{SessionName}} group can never be system:masters.
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: ["{{SessionName}}", "{{AccountID}}"]\n` })).toEqual([]);
  });

  it('a role ARN with a path matches no caller today (the authenticator compares path-less ARNs): reported, and said so', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/team/ops-admin`;
    const [f] = check('no-system-masters', view({ mapRoles: `- rolearn: ${arn}\n  groups: [system:masters]\n` }));
    expect(f.resourceId).toBe(arn);
    expect(f.evidence.matchesNoCallerToday).toMatch(/path/);
  });

  it('a user ARN under rolearn maps that user; a role ARN under mapUsers maps the role unless mapRoles maps it first', () => {
    const user = `arn:aws:iam::${ACCOUNT}:user/bob`;
    const [f] = check('no-system-masters', view({ mapRoles: `- rolearn: ${user}\n  groups: [system:masters]\n` }));
    expect(f).toMatchObject({ resourceId: user, resourceType: 'AWS::IAM::User' });
    expect(masters({ mapUsers: `- userarn: ${OPS}\n  groups: [system:masters]\n` })).toEqual([OPS]);
    expect(masters({ mapRoles: `- rolearn: ${OPS}\n  groups: [view]\n`, mapUsers: `- userarn: ${OPS}\n  groups: [system:masters]\n` })).toEqual([]);
  });

  it('an SSO permission set mapped into system:masters is reported by the role ARN pattern it matches', () => {
    const mapRoles = `- sso:\n    permissionSetName: AdministratorAccess\n    accountID: "${ACCOUNT}"\n  groups: [system:masters]\n`;
    const [f] = check('no-system-masters', view({ mapRoles }));
    expect(f.resourceId).toBe(`arn:aws:iam::${ACCOUNT}:role/awsreservedsso_administratoraccess_*`);
    expect(f.evidence.entries).toEqual([expect.objectContaining({ field: 'data.mapRoles[0]', sso: { permissionSetName: 'AdministratorAccess', accountID: ACCOUNT } })]);
  });
});
