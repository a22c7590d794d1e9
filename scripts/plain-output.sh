# Sourced by scripts/lab.sh and scripts/test.sh: colour only on a terminal. vitest, listr2 and the
# colour libraries under them colour a pipe too when CI is set, and their escape codes clutter CI
# logs. FORCE_COLOR (any value) keeps colour; a NO_COLOR already set is left as it is.
[ -t 1 ] || [ -n "${FORCE_COLOR+x}" ] || export NO_COLOR=1
