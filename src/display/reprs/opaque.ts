// Promises and timers print as what they are (`Promise { <pending> }`), not with the symbols
// Node's async bookkeeping attaches to them: AsyncLocalStorage puts the running cell's
// context there, and printing it dumped the kernel's output sink and request identities.
// A displayed Promise also gets a hint to `await` it.
import { inspect, types } from "node:util";
import { registerRepr, textPlain } from "../mime";

const formatting = new WeakSet<object>();

/** inspect.custom for objects whose own symbol properties are Node's bookkeeping: format without them. */
function withoutOwnSymbols(this: object, depth: number, options: object, format: typeof inspect): unknown {
  // Returning the object itself tells inspect to format it the ordinary way (the inner call).
  if (formatting.has(this)) return this;
  const hidden: symbol[] = [];
  for (const s of Object.getOwnPropertySymbols(this)) {
    const d = Object.getOwnPropertyDescriptor(this, s);
    if (d?.enumerable && d.configurable) {
      Object.defineProperty(this, s, { enumerable: false });
      hidden.push(s);
    }
  }
  formatting.add(this);
  try {
    return format(this, { ...options, depth });
  } finally {
    formatting.delete(this);
    for (const s of hidden) Object.defineProperty(this, s, { enumerable: true });
  }
}

function install(proto: object): void {
  if (!Object.hasOwn(proto, inspect.custom)) {
    Object.defineProperty(proto, inspect.custom, { value: withoutOwnSymbols, configurable: true, writable: true });
  }
}

install(Promise.prototype);
const timer = setTimeout(() => undefined, 0);
install(Object.getPrototypeOf(timer));
clearTimeout(timer);
const immediate = setImmediate(() => undefined);
install(Object.getPrototypeOf(immediate));
clearImmediate(immediate);

registerRepr((value) => {
  if (!types.isPromise(value)) return undefined;
  const text = textPlain(value);
  const hint = text.startsWith("Promise { <pending>")
    ? "(a Promise that has not settled: `await` it to wait for its value)"
    : "(a Promise: `await` it to get its value)";
  return { data: { "text/plain": `${text}\n${hint}` }, metadata: {} };
});
