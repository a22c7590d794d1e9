import stripAnsi from 'strip-ansi';

export interface TextLine {
  /** 1-based. */
  number: number;
  /** ANSI codes removed, trailing whitespace and CR removed. */
  text: string;
}

/** Splits tool output into lines without colour codes; tools colour output even without a TTY. */
export function cleanLines(text: string): TextLine[] {
  return stripAnsi(text)
    .split('\n')
    .map((raw, index) => ({ number: index + 1, text: raw.replace(/\s+$/u, '') }));
}

/** `key:value` at the first colon; null when the token has no colon. */
export function splitToken(token: string): [key: string, value: string] | null {
  const at = token.indexOf(':');
  if (at <= 0) return null;
  return [token.slice(0, at), token.slice(at + 1)];
}

/** Parses a decimal integer; null for anything else (e.g. `*`, `unknown`, `N/A`). */
export function toInt(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d+$/u.test(value)) return null;
  return Number.parseInt(value, 10);
}

/** Parses a decimal number; null for anything else. */
export function toNumber(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d+(?:\.\d+)?$/u.test(value)) return null;
  return Number.parseFloat(value);
}
