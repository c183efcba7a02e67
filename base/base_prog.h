/*
 * base_prog.h - finding a program installed or built next to the running one.
 *
 * metafs runs metafsd, and metafsd runs metafs-pipeline.  The partner to run
 * is the one of the same build: beside the running executable in an
 * installed tree (bin/, sbin/) or in its own folder of the build tree, and
 * only failing that the one on PATH.
 */
#ifndef METAFS_BASE_PROG_H
#define METAFS_BASE_PROG_H

#include <stddef.h>

/*
 * Look for an executable at each of the NREL paths REL[i], relative to the
 * directory of the running executable (/proc/self/exe), e.g.
 * {"metafsd", "../fs/metafsd", "../sbin/metafsd"}.  On 0, OUT (CAP bytes)
 * holds the first one found; -ENOENT when none is executable (OUT is then
 * unspecified), or -errno when the running executable cannot be named.
 */
int base_prog_sibling_find(const char *const *rel, size_t nrel, char *out, size_t cap);

#endif
