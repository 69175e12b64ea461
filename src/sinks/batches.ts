/**
 * Delivery of items in batches to an API that accepts some items of a batch and refuses others (Security Hub
 * `FailedFindings`, EventBridge `FailedEntryCount`, `UnprocessedFindings`): the refused ones are sent again with
 * exponential backoff, and whatever is still refused after the last attempt throws, naming each item and its error,
 * so the invocation fails and SNS's retries and the on-failure destination keep the notification.
 */
export interface Refused<T> {
  item: T;
  error: string;
}

export interface BatchOptions {
  /** Total attempts per item. Default 4. */
  maxAttempts?: number;
  /** First backoff; doubles each time. Default 200 ms. */
  baseDelayMs?: number;
  /** Injected in tests so they assert the waits without waiting. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class DeliveryError extends Error {
  constructor(
    what: string,
    readonly refused: Refused<unknown>[],
    attempts: number,
  ) {
    const shown = refused.slice(0, 5).map((r) => r.error).join('; ');
    super(`${refused.length} ${what} refused after ${attempts} attempts: ${shown}${refused.length > 5 ? ` and ${refused.length - 5} more` : ''}`);
    this.name = 'DeliveryError';
  }
}

/** Splits `items` into batches of at most `size` items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}

export async function deliverInBatches<T>(
  what: string,
  items: readonly T[],
  batch: (items: readonly T[]) => T[][],
  send: (batch: T[]) => Promise<Refused<T>[]>,
  opts: BatchOptions = {},
): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 4;
  const base = opts.baseDelayMs ?? 200;
  const sleep = opts.sleep ?? defaultSleep;
  let pending: readonly T[] = items;
  let refused: Refused<T>[] = [];
  for (let attempt = 1; attempt <= maxAttempts && pending.length; attempt++) {
    if (attempt > 1) await sleep(base * 2 ** (attempt - 2));
    refused = [];
    for (const b of batch(pending)) refused.push(...(await send(b)));
    pending = refused.map((r) => r.item);
  }
  if (refused.length) throw new DeliveryError(what, refused, maxAttempts);
}
