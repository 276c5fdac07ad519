// The cells' shared namespace: every top-level name a cell declares lives here (tslab
// compiles `let x` to `exports.x`). A plain object, not tslab's Proxy: property access on a
// Proxy made loops on top-level variables about 500x slower.

export type Namespace = Record<string, any>;

/** Names provided by the kernel itself, hidden from %who. */
export const PRELOADED = new Set<string>();

export function createNamespace(): Namespace {
  return Object.create(null);
}

/**
 * A preloaded name whose module loads on first use (keeps start-up fast). Assigning to the
 * name replaces it with a plain value, as for any other variable.
 */
export function defineLazy(ns: Namespace, name: string, load: () => unknown): void {
  PRELOADED.add(name);
  Object.defineProperty(ns, name, {
    configurable: true,
    enumerable: true,
    get() {
      const value = load();
      Object.defineProperty(ns, name, { value, writable: true, configurable: true, enumerable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(ns, name, { value, writable: true, configurable: true, enumerable: true });
    },
  });
}

/**
 * What the transpiled code calls instead of `Object.defineProperty(exports, ...)`:
 * imports arrive as getters; store their values so later cells can reassign them.
 */
export function defineInNamespace(ns: Namespace, name: string, attrs: PropertyDescriptor): Namespace {
  if (name === "__esModule") return ns;
  const value = attrs.get ? attrs.get() : attrs.value;
  Object.defineProperty(ns, name, { value, writable: true, configurable: true, enumerable: true });
  return ns;
}

/** User-defined names (for %who, %whos, %shapes). */
export function userNames(ns: Namespace): string[] {
  return Object.keys(ns).filter((k) => !PRELOADED.has(k) && !k.startsWith("__") && k !== "tsLastExpr" && ns[k] !== undefined);
}
