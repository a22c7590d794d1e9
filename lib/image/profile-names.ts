export const PROFILE_NAMES = ['debian12-drbd84', 'ubuntu1804-drbd9'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
