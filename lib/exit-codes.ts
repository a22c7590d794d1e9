/** Exit codes: 0 ok, 1 a scenario failed (product), 2 usage, 3 lab broken (infrastructure). */
export const EXIT = { ok: 0, failed: 1, usage: 2, broken: 3 } as const;
