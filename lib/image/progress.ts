/** A progress sink: the CLI shows it, tests and the bench log it. */
export type Progress = (message: string) => void;
export const silent: Progress = () => {};
