/*
 * base_crash.h - deterministic crash points, for the crash tests.
 *
 * A crash test must kill the daemon at every point where a write can be cut
 * short (before and after each fsync, rename and metastore commit), not at
 * whatever moment a kill -9 happens to land.  Each such point in the code
 * calls base_crash_point() with its name.  Normally that costs one load of a
 * cached flag.  With METAFS_CRASH_AT=N in the environment, the process ends
 * with _exit(BASE_CRASH_EXIT) at the Nth point it reaches (counted over all
 * threads, from 1), as a power cut or kill -9 would end it: no atexit, no
 * buffered output, no clean-up.  With METAFS_CRASH_LOG=FILE, every point
 * reached is appended to FILE ("N NAME" per line, written before the exit),
 * so a test can learn how many points a scenario passes and which one it
 * stopped at.
 */
#ifndef METAFS_BASE_CRASH_H
#define METAFS_BASE_CRASH_H

#define BASE_CRASH_EXIT 86

/* Count the crash point NAME (a static string); end the process here when it
 * is the one METAFS_CRASH_AT names. */
void base_crash_point(const char *name);

#endif
