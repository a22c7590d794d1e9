/** One line of `doctor`: what was checked, whether it is fine, and the exact fix when not. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}
