// --offline (nightly, `image build`) and DRBDLAB_OFFLINE=1 (the test runner, child processes):
// use the cached image as it is and ask no upstream. Read at the edge into the run's
// configuration and handed to the profiles (ProfileSettings); a child process gets it with the
// rest of the configuration, never through a variable this process writes.

export const OFFLINE_LINE = 'offline: upstreams not asked; the cached image is used as it is';
