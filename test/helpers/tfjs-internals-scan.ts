// Finds uses of TensorFlow.js internals in TypeScript source, with TypeScript's own parser
// (comments and strings are not code). What counts is listed in
// test/tfjs/internals-boundary.test.ts, which runs it over src/ and bench/.
import ts from "typescript";

const ENGINE_MEMBERS = new Set([
  "tensorInfo",
  "scopeStack",
  "activeScope",
  "activeTape",
  "gradientDepth",
  "kernelDepth",
  "numDataMovesStack",
  "activeProfile",
  "registryFactory",
  "trackTensor",
  "removeDataId",
  "runKernelFunc",
  "profileKernel",
  "disposeTensor",
  "nextTensorId",
  "nextVariableId",
  "numStringTensors",
  "numDataBuffers",
]);
const ENGINE_OBJECT_MEMBERS = new Set(["state", "registry", "profiler", "backendInstance", "pendingBackendInit"]);
const BACKEND_FIELDS = new Set([
  "wasm",
  "device",
  "queue",
  "bufferManager",
  "textureManager",
  "tensorMap",
  "texData",
  "dataIdMap",
  "data",
  "adapterInfo",
  "gpgpu",
]);
const INTERNAL_PACKAGE = /^@tensorflow\/(tfjs-core|tfjs-backend-[\w-]+|tfjs-node(-gpu)?)(\/|$)|^@tensorflow\/tfjs\/./;
const GLOBAL_STRINGS = new Set(["_tfengine", "_tfGlobals"]);

/**
 * What an expression is, as far as the scan cares: TensorFlow.js's engine (`tf.engine()`,
 * `engine()`, `engineInternals()`, or a variable named `engine`), its active backend
 * (`tf.backend()`), or neither.
 */
function tfObject(node: ts.Node): "engine" | "backend" | undefined {
  let e = node;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return e.text === "engine" ? "engine" : undefined;
  if (!ts.isCallExpression(e) || e.arguments.length) return undefined;
  const callee = e.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  return name === "engine" || name === "engineInternals" ? "engine" : name === "backend" ? "backend" : undefined;
}

/** A cast is only counted on a call (`tf.engine() as ...`), not on a variable that merely has the name. */
function isTfObjectCall(node: ts.Node): boolean {
  let e = node;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return ts.isCallExpression(e) && tfObject(e) !== undefined;
}

function moduleSpecifier(node: ts.Node): ts.StringLiteralLike | undefined {
  if (
    (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
    node.moduleSpecifier &&
    ts.isStringLiteralLike(node.moduleSpecifier)
  )
    return node.moduleSpecifier;
  if (
    ts.isImportEqualsDeclaration(node) &&
    ts.isExternalModuleReference(node.moduleReference) &&
    ts.isStringLiteralLike(node.moduleReference.expression)
  )
    return node.moduleReference.expression;
  if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0])) {
    const c = node.expression;
    const isRequire =
      (ts.isIdentifier(c) && c.text === "require") ||
      c.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isPropertyAccessExpression(c) && ts.isIdentifier(c.expression) && c.expression.text === "require" && c.name.text === "resolve");
    if (isRequire) return node.arguments[0];
  }
  return undefined;
}

/** The left side of `=`, `+=`, ... or the operand of `delete`. */
function isAssignedTo(node: ts.Node): boolean {
  const p = node.parent;
  if (
    ts.isBinaryExpression(p) &&
    p.left === node &&
    p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    p.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  )
    return true;
  return ts.isDeleteExpression(p);
}

/** Every use of a TensorFlow.js internal in a source text, as "line: what". */
export function findInternals(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (n: ts.Node, what: string) => found.push(`${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}: ${what}`);
  const visit = (node: ts.Node): void => {
    const spec = moduleSpecifier(node);
    if (spec && INTERNAL_PACKAGE.test(spec.text)) at(spec, `module ${spec.text}`);
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const name = ts.isPropertyAccessExpression(node)
        ? node.name.text
        : ts.isStringLiteralLike(node.argumentExpression)
          ? node.argumentExpression.text
          : undefined;
      if (name !== undefined) {
        const on = tfObject(node.expression);
        if (ENGINE_MEMBERS.has(name)) at(node, `engine member ${name}`);
        else if (on === "engine" && ENGINE_OBJECT_MEMBERS.has(name)) at(node, `engine().${name}`);
        else if (on === "backend" && BACKEND_FIELDS.has(name)) at(node, `backend().${name}`);
        else if (on && isAssignedTo(node)) at(node, `${on}().${name} replaced`);
      }
    }
    if ((ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) && isTfObjectCall(node.expression))
      at(node, `cast of ${tfObject(node.expression)}()`);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === "Object" &&
      /^(defineProperty|defineProperties|getOwnPropertyDescriptor|assign)$/.test(node.expression.name.text) &&
      node.arguments.length &&
      tfObject(node.arguments[0])
    )
      at(node, `Object.${node.expression.name.text} on ${tfObject(node.arguments[0])}()`);
    if (ts.isIdentifier(node) && (node.text === "ENGINE" || node.text === "getGlobal")) at(node, node.text);
    if (ts.isStringLiteralLike(node) && GLOBAL_STRINGS.has(node.text)) at(node, `global "${node.text}"`);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
