/** How keys and values given as text or bytes travel, and how they are shown back. */
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? encoder.encode(v) : v;
}

export function displayKey(k: string | Uint8Array): string {
  return typeof k === 'string' ? k : Buffer.from(k).toString('hex');
}

/** UTF-8 text when the bytes are valid UTF-8, else base64, so JSON output never mangles binary values. */
export function showValue(v: Uint8Array): { value: string; valueEncoding: 'utf8' | 'base64' } {
  try {
    return { value: strictDecoder.decode(v), valueEncoding: 'utf8' };
  } catch {
    return { value: Buffer.from(v).toString('base64'), valueEncoding: 'base64' };
  }
}
