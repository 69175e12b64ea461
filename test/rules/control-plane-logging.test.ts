import type { LogType } from '@aws-sdk/client-eks';
import { check, clusterView } from './fixtures';

describe('control-plane-logging', () => {
  const run = (clusterLogging: { types: LogType[]; enabled: boolean }[]) => check('control-plane-logging', clusterView({ cluster: { logging: { clusterLogging } } }));

  it('fires when api, audit or authenticator is disabled, naming them — not when all three are on', () => {
    const [f] = run([
      { types: ['api', 'controllerManager'], enabled: true },
      { types: ['audit', 'authenticator', 'scheduler'], enabled: false },
    ]);
    expect(f).toMatchObject({ ruleId: 'control-plane-logging', severity: 'medium', resourceId: 'demo' });
    expect(f.evidence).toMatchObject({ disabledTypes: ['audit', 'authenticator'], enabledTypes: ['api', 'controllerManager'] });
    expect(run([{ types: ['api', 'audit', 'authenticator'], enabled: true }])).toEqual([]);
  });

  it('fires when logging is missing altogether', () => {
    expect(check('control-plane-logging', clusterView({ cluster: { logging: undefined } }))[0].evidence.disabledTypes).toEqual(['api', 'audit', 'authenticator']);
  });
});
