/**
 * Reads shared by key: the first caller's read is every later caller's answer. A failed read is forgotten at once,
 * so the next caller tries again instead of inheriting a throttle or a timeout for the rest of the scope.
 */
export function readOnce(): <T>(key: string, read: () => Promise<T>) => Promise<T> {
  const held = new Map<string, Promise<unknown>>();
  return <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let p = held.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      held.set(key, p);
      p.catch(() => held.delete(key));
    }
    return p;
  };
}
