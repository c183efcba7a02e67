/*
 * base_fs.h - directory trees and durable writes, by path.
 *
 * The daemon, the CLI and metafs-pipeline all create nested directories
 * (homes, data stores, job and state folders), make renames durable and
 * clear staging trees; these are the one definition of each.  Paths are
 * limited to PATH_MAX bytes.
 */
#ifndef METAFS_BASE_FS_H
#define METAFS_BASE_FS_H

#include <sys/types.h>

/* The modes of everything metafs creates in a home (and metafs-pipeline in
 * its state): nothing for other users, read for the group.  The group bits
 * survive only where a home's group is configured: otherwise the process's
 * umask, BASE_UMASK_PRIVATE, removes them; with a group it is
 * BASE_UMASK_GROUP and the directories' set-group-ID bit hands the group on
 * (see metafs(5), SECURITY MODEL). */
#define BASE_MODE_DIR 0750
#define BASE_MODE_FILE 0640
#define BASE_UMASK_PRIVATE 0077
#define BASE_UMASK_GROUP 0027

/* mkdir -p: create PATH and its missing parents with MODE (before the umask).
 * An existing directory is not an error.  0 or -errno (-ENAMETOOLONG for a
 * path longer than PATH_MAX, -ENOENT for an empty one). */
int base_fs_mkdirs(const char *path, mode_t mode);

/* fsync the regular file PATH, so that its bytes are on disk before a rename
 * publishes it.  0 or -errno. */
int base_fs_file_sync(const char *path);

/* fsync the directory PATH, so that a rename, create or mkdir in it is
 * durable.  0 or -errno. */
int base_fs_dir_sync(const char *path);

/* Replace the file PATH with the LEN bytes of DATA, atomically: they are
 * written to a temporary file beside PATH (PATH.tmp.PID.N, created with
 * MODE before the umask), fsynced and renamed over PATH, so that a reader or
 * a crash sees the old file or the new one whole, never a mix.  The
 * directory is not fsynced: after a crash the rename may be lost, never
 * half done.  On failure the temporary file is removed and PATH is
 * untouched.  0 or -errno. */
int base_fs_file_replace(const char *path, const void *data, size_t len, mode_t mode);

/* rm -rf: remove PATH and everything below it; symbolic links are removed,
 * never followed.  A missing PATH is not an error.  Goes on after a failure
 * and returns the last one (-errno), or 0. */
int base_fs_tree_remove(const char *path);

#endif
