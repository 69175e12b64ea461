/**
 * EventBridge's input transformer for a JSON InputTemplate, as its documentation describes it: each <name> is the
 * value at InputPathsMap[name] (a "$.a.b" path). Outside a JSON string the placeholder becomes that JSON value
 * (a string quoted and escaped, an object as JSON, a path the event lacks null); inside a string, the raw text.
 */
export interface InputTransformer {
  InputPathsMap: Record<string, string>;
  InputTemplate: string;
}

function at(event: unknown, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`path ${path} not modelled`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), event);
}

export function transformInput(t: InputTransformer, event: unknown): string {
  const value = (name: string) => {
    if (!(name in t.InputPathsMap)) throw new Error(`placeholder <${name}> has no path`);
    return at(event, t.InputPathsMap[name]);
  };
  let out = '';
  let inString = false;
  for (let i = 0; i < t.InputTemplate.length; i++) {
    const c = t.InputTemplate[i];
    const placeholder = c === '<' ? /^<([A-Za-z0-9]+)>/.exec(t.InputTemplate.slice(i)) : null;
    if (placeholder) {
      const v = value(placeholder[1]);
      out += inString ? (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)) : JSON.stringify(v ?? null);
      i += placeholder[0].length - 1;
      continue;
    }
    if (c === '"' && t.InputTemplate[i - 1] !== '\\') inString = !inString;
    out += c;
  }
  return out;
}
