// Error classes for reading untrusted model files. Each names the Python exception a user of
// the original tool would see for the same fault (zipfile.BadZipFile, pickle.UnpicklingError,
// safetensors' SafetensorError), so `err.name` reads the same in a notebook; they share one
// base class so a caller can catch "this file is bad" without catching programming errors.

/** Any fault in the bytes of a file being read: truncated, corrupt, hostile or over a limit. */
export class FileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The zip container is unreadable, inconsistent or over a size limit. */
export class BadZipFile extends FileFormatError {}

/** The pickle stream is malformed, over a limit, or names a global that is not allowed. */
export class UnpicklingError extends FileFormatError {}

/** The zip and pickle are readable but do not describe a valid torch.save checkpoint. */
export class TorchFileError extends FileFormatError {}

/** A safetensors header or buffer is malformed, or tensors given to the encoder are invalid. */
export class SafetensorError extends FileFormatError {}
