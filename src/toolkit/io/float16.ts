// IEEE half precision (float16) and bfloat16 conversions. Checkpoints store most weights as
// float16 bit patterns; decoding goes through a 65,536-entry table because a model has
// millions of them and the table is exact (every half value is a float32 value).

let halfTable: Float32Array | undefined;

/** The value of one float16 bit pattern, exactly as Python's struct 'e' decodes it. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(0x10000);
    for (let bits = 0; bits < 0x10000; bits++) halfTable[bits] = float16BitsToNumber(bits);
  }
  return halfTable;
}

/** Decodes float16 bit patterns into float32 values (exact). */
export function float16ToFloat32Array(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const table = float16Table();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** The value of one bfloat16 bit pattern: the top half of a float32. */
export function bfloat16BitsToNumber(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/** Decodes bfloat16 bit patterns into float32 values (exact). */
export function bfloat16ToFloat32Array(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
  return out;
}

/** The float16 bit pattern nearest to `value` (round half to even, overflow to infinity), as numpy's astype(float16). */
export function numberToFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00; // 65520 is the midpoint above the largest half, 65504
  if (magnitude < 2 ** -14) {
    // Subnormal: a multiple of 2^-24, rounded half to even.
    return sign | roundHalfEven(magnitude * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1; // log2 can round up just below a power of two
  if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  // A mantissa that rounds up to 1024 carries into the exponent; adding the fields does that.
  return sign | (((exponent + 15) << 10) + mantissa);
}

/** The bfloat16 bit pattern nearest to `value` (round half to even), as torch's .to(torch.bfloat16). */
export function numberToBfloat16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7fc0;
  scratch.setFloat32(0, value);
  const word = scratch.getUint32(0);
  const rounded = word + 0x7fff + ((word >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
