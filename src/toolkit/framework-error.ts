// Errors raised where the original framework (PyTorch, YOLOv5, PaddleClas) raises one: the
// JS Error's `name` is the original exception class (ValueError, RuntimeError,
// AssertionError, ...) and its message the original text, so notebooks show what users of
// the original saw. The stack starts at the check that failed, as a Python traceback ends
// at the `raise`, not inside a helper that builds the error.

/** `raisedBy`: the helper that called this one, left out of the stack with it. */
export function frameworkError(name: string, message: string, raisedBy: Function = frameworkError): Error {
  const error = new Error(message);
  error.name = name;
  Error.captureStackTrace?.(error, raisedBy);
  return error;
}
