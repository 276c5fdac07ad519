// Child-process side of runNotebookIsolated: runs one notebook and sends the run back.
// A notebook changes process-wide state (the TensorFlow.js engine and backend, the toolkit's
// memory budget, globals its cells set), so each notebook gets a fresh process, as a fresh
// kernel under Jupyter would give it.
import { runNotebook, type RunOptions } from "./run-notebook";

interface Request {
  file: string;
  options: Omit<RunOptions, "log">;
}

process.once("message", (req: Request) => {
  runNotebook(req.file, { ...req.options, log: (line) => process.stderr.write(`${line}\n`) }).then(
    (run) => process.send!({ run }, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.stack ?? e.message }, () => process.exit(1)),
  );
});
