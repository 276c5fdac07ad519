// Reading model files without running them: torch.save checkpoints (.pt) through a zip reader
// and an allow-listed pickle VM, and safetensors in and out.
export { FileFormatError, BadZipFile, UnpicklingError, TorchFileError, SafetensorError } from "./errors";
export {
  float16BitsToNumber,
  bfloat16BitsToNumber,
  float16ToFloat32Array,
  bfloat16ToFloat32Array,
  numberToFloat16Bits,
  numberToBfloat16Bits,
} from "./float16";
export { ZipArchive, openZip, looksLikeZip, crc32, defaultZipLimits, type ZipEntry, type ZipLimits, type ZipMethod } from "./zip-reader";
export {
  unpickle,
  safeDataGlobal,
  recordClass,
  typeName,
  PyTuple,
  PyDict,
  PySet,
  PyObject,
  PyGlobal,
  type PyValue,
  type PyHostValue,
  type GlobalBehaviour,
  type UnpicklerOptions,
} from "./pickle";
export {
  readTorchFile,
  parseTorchFile,
  readTorchArchive,
  parseTorchArchive,
  moduleStateDict,
  isModuleRecord,
  pyGet,
  attr,
  pyToJs,
  dtypeSize,
  TorchTensor,
  TorchStorage,
  TorchDtypeValue,
  type TorchDtype,
  type TorchFile,
  type TorchArchive,
  type TorchFileOptions,
  type StorageArray,
  type PlainValue,
} from "./torch-file";
export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  safetensorsDtypeOf,
  MAX_HEADER_BYTES,
  type SafetensorsDtype,
  type SafetensorsData,
  type SafetensorsTensor,
  type NamedSafetensorsTensor,
  type DecodedSafetensors,
} from "./safetensors";
