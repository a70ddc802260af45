import { randomBytes } from 'node:crypto';

/** A random positive 63-bit serial number: fits the G-SDK's int64 serialNO. */
export function randomSerial(): bigint {
  for (;;) {
    const bytes = randomBytes(8);
    bytes[0] &= 0x7f;
    const serial = bytes.readBigUInt64BE();
    if (serial > 0n) return serial;
  }
}

/** Minimal two's-complement hex for a DER INTEGER holding a positive serial. */
export function serialToDerHex(serial: bigint): string {
  let hex = serial.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex[0], 16) >= 8) hex = `00${hex}`;
  return hex;
}
