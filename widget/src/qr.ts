// A minimal QR encoder (byte mode, error correction level M, versions 1-13) after Nayuki's reference design:
// the widget's size budget has no room for a general QR library. Tests compare it module for module with uqr.

const ECC_PER_BLOCK = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22];
const BLOCKS = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9];

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1. */
function mul(x: number, y: number): number {
  let z = 0;
  for (let i = 7; i >= 0; i--) z = ((z << 1) ^ ((z >>> 7) * 0x11d)) ^ (((y >>> i) & 1) * x);
  return z;
}

function rsRemainder(data: number[], degree: number): number[] {
  const div = Array<number>(degree).fill(0);
  div[degree - 1] = 1;
  for (let i = 0, root = 1; i < degree; i++, root = mul(root, 2))
    for (let j = 0; j < degree; j++) div[j] = mul(div[j]!, root) ^ (div[j + 1] ?? 0);
  const out = Array<number>(degree).fill(0);
  for (const b of data) {
    const f = b ^ out.shift()!;
    out.push(0);
    div.forEach((c, i) => (out[i]! ^= mul(c, f)));
  }
  return out;
}

const rawModules = (v: number) => {
  const n = Math.floor(v / 7) + 2;
  return (16 * v + 128) * v + 64 - (v > 1 ? (25 * n - 10) * n - 55 : 0) - (v > 6 ? 36 : 0);
};


/**
 * Dark modules as rows of booleans, without a quiet zone. Always mask 0 (the checkerboard): any mask makes a
 * valid code, and scoring all eight for the most readable costs more bytes than the widget can spare.
 */
export function qrEncode(text: string): boolean[][] {
  const bytes = new TextEncoder().encode(text);
  let v = 1;
  let dataLen = 0;
  for (; v <= 13; v++) {
    dataLen = (rawModules(v) >> 3) - ECC_PER_BLOCK[v - 1]! * BLOCKS[v - 1]!;
    if (4 + (v < 10 ? 8 : 16) + 8 * bytes.length <= dataLen * 8) break;
  }
  if (v > 13) throw new RangeError('text too long for a QR code');
  const eccLen = ECC_PER_BLOCK[v - 1]!;
  const nBlocks = BLOCKS[v - 1]!;

  const bits: number[] = [];
  const put = (val: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((val >>> i) & 1);
  };
  put(4, 4);
  put(bytes.length, v < 10 ? 8 : 16);
  bytes.forEach((b) => put(b, 8));
  put(0, Math.min(4, dataLen * 8 - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  const data: number[] = [];
  for (let i = 0; i < bits.length; i += 8) data.push(parseInt(bits.slice(i, i + 8).join(''), 2));
  for (let pad = 0xec; data.length < dataLen; pad ^= 0xec ^ 0x11) data.push(pad);

  // Split into blocks, append each block's error correction, interleave.
  const raw = rawModules(v) >> 3;
  const short = nBlocks - (raw % nBlocks);
  const shortLen = Math.floor(raw / nBlocks);
  const blocks: number[][] = [];
  for (let i = 0, k = 0; i < nBlocks; i++) {
    const d = data.slice(k, (k += shortLen - eccLen + (i < short ? 0 : 1)));
    const ecc = rsRemainder(d, eccLen);
    if (i < short) d.push(0);
    blocks.push(d.concat(ecc));
  }
  const words: number[] = [];
  for (let i = 0; i < blocks[0]!.length; i++)
    blocks.forEach((b, j) => (i != shortLen - eccLen || j >= short) && words.push(b[i]!));

  const size = v * 4 + 17;
  const m: boolean[][] = [];
  const fn: boolean[][] = [];
  for (let y = 0; y < size; y++) (m[y] = Array<boolean>(size).fill(false)), (fn[y] = Array<boolean>(size).fill(false));
  const set = (x: number, y: number, dark: boolean) => {
    m[y]![x] = dark;
    fn[y]![x] = true;
  };
  for (let i = 0; i < size; i++) set(6, i, i % 2 == 0), set(i, 6, i % 2 == 0);
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]] as const)
    for (let dy = -4; dy <= 4; dy++)
      for (let dx = -4; dx <= 4; dx++) {
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        const x = cx + dx;
        const y = cy + dy;
        if (x >= 0 && x < size && y >= 0 && y < size) set(x, y, d != 2 && d != 4);
      }
  if (v > 1) {
    const n = Math.floor(v / 7) + 2;
    const step = Math.ceil((v * 4 + 4) / (n * 2 - 2)) * 2;
    const pos = [6];
    for (let i = 0, p = size - 7; i < n - 1; i++, p -= step) pos.splice(1, 0, p);
    pos.forEach((ax, i) =>
      pos.forEach((ay, j) => {
        if ((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) return;
        for (let dy = -2; dy <= 2; dy++)
          for (let dx = -2; dx <= 2; dx++) set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) != 1);
      }),
    );
  }
  {
    // Format information: level M (00) and mask 0 have an all-zero BCH code, leaving only the fixed XOR pattern.
    const b = 0x5412;
    const bit = (i: number) => ((b >>> i) & 1) == 1;
    for (let i = 0; i < 6; i++) set(8, i, bit(i));
    set(8, 7, bit(6));
    set(8, 8, bit(7));
    set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
    set(8, size - 8, true);
  }
  if (v > 6) {
    let rem = v;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const b = (v << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((b >>> i) & 1) == 1;
      set(size - 11 + (i % 3), Math.floor(i / 3), dark);
      set(Math.floor(i / 3), size - 11 + (i % 3), dark);
    }
  }
  // Codewords in the zigzag order, two columns at a time, skipping the vertical timing column.
  let i = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right == 6) right = 5;
    for (let vert = 0; vert < size; vert++)
      for (let j = 0; j < 2; j++) {
        const x = right - j;
        const y = ((right + 1) & 2) == 0 ? size - 1 - vert : vert;
        if (!fn[y]![x] && i < words.length * 8) m[y]![x] = ((words[i >>> 3]! >>> (7 - (i & 7))) & 1) == 1, i++;
      }
  }
  m.forEach((row, y) => row.forEach((_, x) => !fn[y]![x] && (x + y) % 2 == 0 && (row[x] = !row[x])));
  return m;
}
