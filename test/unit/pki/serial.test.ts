import { randomSerial, serialToDerHex } from '../../../src/pki/serial';

describe('randomSerial', () => {
  it('is always positive and below 2^63, and varies', () => {
    const serials = Array.from({ length: 2000 }, randomSerial);
    for (const s of serials) {
      expect(s).toBeGreaterThan(0n);
      expect(s).toBeLessThan(2n ** 63n);
    }
    expect(new Set(serials).size).toBe(serials.length);
    // 63 random bits: some serials use the top bit of the first byte's remaining seven.
    expect(serials.some((s) => s >= 2n ** 62n)).toBe(true);
  });
});

describe('serialToDerHex', () => {
  it.each([
    [1n, '01'],
    [0x7fn, '7f'],
    [0x80n, '0080'],
    [0xffn, '00ff'],
    [0x100n, '0100'],
    [0xabcn, '0abc'],
    [2n ** 63n - 1n, '7fffffffffffffff'],
    [2n ** 63n, '008000000000000000'],
  ])('%s → %s (minimal, positive two’s complement)', (serial, hex) => {
    expect(serialToDerHex(serial)).toBe(hex);
  });
});
