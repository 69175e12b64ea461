import { matchesPattern, type EventPattern } from '../../src/events/matcher';

/**
 * EventBridge content filtering semantics, case by case, from the AWS docs ("Content filtering in Amazon
 * EventBridge event patterns", "Comparison operators for use in event patterns").
 */
const event = {
  source: 'aws.ec2',
  'detail-type': 'AWS API Call via CloudTrail',
  region: 'us-east-1',
  detail: {
    eventName: 'AuthorizeSecurityGroupIngress',
    eventSource: 'ec2.amazonaws.com',
    readOnly: false,
    responseElements: null,
    fromPort: 22,
    count: '5',
    tags: ['prod', 'pci'],
    state: { status: 'running' },
    ranges: [{ cidr: '10.0.0.0/8' }, { cidr: '0.0.0.0/0' }],
    fileName: 'Report.PNG',
  },
};

type Row = [name: string, pattern: EventPattern, matches: boolean];
const table: Row[] = [
  // exact values
  ['exact value', { source: ['aws.ec2'] }, true],
  ['any of several values', { source: ['aws.eks', 'aws.ec2'] }, true],
  ['a different value', { source: ['aws.eks'] }, false],
  ['empty list matches nothing', { source: [] }, false],
  ['exact match is case-sensitive', { source: ['AWS.EC2'] }, false],
  ['types differ: "5" is not 5', { detail: { count: [5] } }, false],
  ['string "5" matches "5"', { detail: { count: ['5'] } }, true],
  ['boolean false', { detail: { readOnly: [false] } }, true],
  ['null matches null', { detail: { responseElements: [null] } }, true],
  ['nested objects: every key must match', { source: ['aws.ec2'], detail: { eventName: ['AuthorizeSecurityGroupIngress'], eventSource: ['eks.amazonaws.com'] } }, false],
  ['nested objects all matching', { detail: { eventName: ['AuthorizeSecurityGroupIngress'], eventSource: ['ec2.amazonaws.com'] } }, true],
  ['missing field never matches a value', { detail: { errorCode: ['AccessDenied'] } }, false],
  ['missing object never matches', { nothing: { here: ['x'] } }, false],
  // arrays in the event
  ['event array: any element matches', { detail: { tags: ['pci'] } }, true],
  ['event array: no element matches', { detail: { tags: ['dev'] } }, false],
  ['array of objects: any element matches the nested pattern', { detail: { ranges: { cidr: ['0.0.0.0/0'] } } }, true],
  ['array of objects: none matches', { detail: { ranges: { cidr: ['::/0'] } } }, false],
  // exists
  ['exists:false on a missing field', { detail: { errorCode: [{ exists: false }] } }, true],
  ['exists:false on a present field', { detail: { eventName: [{ exists: false }] } }, false],
  ['exists:true on a present field', { detail: { eventName: [{ exists: true }] } }, true],
  ['exists:true on a missing field', { detail: { errorCode: [{ exists: true }] } }, false],
  ['exists applies to leaves: an object does not exist for it', { detail: { state: [{ exists: true }] } }, false],
  ['exists:false under a missing parent', { nothing: { errorCode: [{ exists: false }] } }, true],
  // prefix / suffix / equals-ignore-case / wildcard
  ['prefix', { region: [{ prefix: 'us-' }] }, true],
  ['prefix not matching', { region: [{ prefix: 'eu-' }] }, false],
  ['prefix on a number never matches', { detail: { fromPort: [{ prefix: '2' }] } }, false],
  ['prefix ignoring case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, true],
  ['suffix', { detail: { fileName: [{ suffix: '.PNG' }] } }, true],
  ['suffix ignoring case', { detail: { fileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, true],
  ['equals-ignore-case', { source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, true],
  ['wildcard', { detail: { eventSource: [{ wildcard: '*.amazonaws.com' }] } }, true],
  ['wildcard not matching', { detail: { eventSource: [{ wildcard: 'eks.*' }] } }, false],
  // anything-but
  ['anything-but a value', { region: [{ 'anything-but': 'eu-west-1' }] }, true],
  ['anything-but the same value', { region: [{ 'anything-but': 'us-east-1' }] }, false],
  ['anything-but a list', { region: [{ 'anything-but': ['eu-west-1', 'us-east-1'] }] }, false],
  ['anything-but a prefix', { region: [{ 'anything-but': { prefix: 'eu-' } }] }, true],
  ['anything-but a matching prefix', { region: [{ 'anything-but': { prefix: 'us-' } }] }, false],
  ['anything-but a suffix', { detail: { fileName: [{ 'anything-but': { suffix: '.PNG' } }] } }, false],
  ['anything-but ignoring case', { source: [{ 'anything-but': { 'equals-ignore-case': ['AWS.EC2'] } }] }, false],
  ['anything-but never matches a missing field', { detail: { errorCode: [{ 'anything-but': 'AccessDenied' }] } }, false],
  ['anything-but a number', { detail: { fromPort: [{ 'anything-but': 22 }] } }, false],
  // numeric
  ['numeric range', { detail: { fromPort: [{ numeric: ['>', 0, '<=', 22] }] } }, true],
  ['numeric out of range', { detail: { fromPort: [{ numeric: ['>', 22] }] } }, false],
  ['numeric equality', { detail: { fromPort: [{ numeric: ['=', 22] }] } }, true],
  ['numeric never matches a string', { detail: { count: [{ numeric: ['>', 1] }] } }, false],
  // several matchers for one field: OR
  ['matchers of one field are OR-ed', { detail: { errorCode: [{ exists: false }, 'AccessDenied'] } }, true],
  // $or
  ['$or: one branch matches', { $or: [{ source: ['aws.eks'] }, { region: ['us-east-1'] }] } as EventPattern, true],
  ['$or: no branch matches', { $or: [{ source: ['aws.eks'] }, { region: ['eu-west-1'] }] } as EventPattern, false],
];

describe('EventBridge pattern matcher', () => {
  it.each(table)('%s', (_name, pattern, matches) => {
    expect(matchesPattern(pattern, event)).toBe(matches);
  });

  it('the detector pattern: a watched call without errorCode', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail'], detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['AuthorizeSecurityGroupIngress'], errorCode: [{ exists: false }] } };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, errorCode: 'Client.InvalidPermission.Duplicate' } })).toBe(false);
  });

  it('rejects operators it does not implement instead of guessing', () => {
    expect(() => matchesPattern({ region: [{ cidr: '10.0.0.0/8' }] }, event)).toThrow(/unsupported event pattern operator "cidr"/);
  });
});
