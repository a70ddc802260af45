/** One thing `doctor` looked at: what, whether it is well, and if not, what would fix it (doctor itself changes nothing). */
export interface Finding {
  area: 'config' | 'files' | 'certificates' | 'store' | 'ports';
  /** The file, address or setting looked at. */
  subject: string;
  ok: boolean;
  detail: string;
  /** What the operator would do about it; only when not ok. */
  fix?: string;
}

export const well = (area: Finding['area'], subject: string, detail: string): Finding => ({ area, subject, ok: true, detail });
export const wrong = (area: Finding['area'], subject: string, detail: string, fix: string): Finding => ({ area, subject, ok: false, detail, fix });
