/*
 * base/ - the few helpers every folder of metafs needs and none of them owns:
 * text buffers (textbuf.h), growth of
 * arrays (base_array.h), deterministic crash points for the crash tests
 * (base_crash.h), directory trees and durable writes (base_fs.h),
 * checked path building (base_path.h), messages cut
 * visibly (base_msg.h), finding a sibling program (base_prog.h) and calendar dates (base_date.h).
 *
 * The folder sits below store/ and uses only the C library, so that store,
 * sql, sync, manager, fs, pipeline and tools may all use it without
 * bending the layering (fs -> manager -> {sql, sync} -> store -> base), and
 * so that metafs-pipeline, which shares no other code with the daemon, may
 * use it too.  Each topic has its own header; this one includes them all
 * for a caller that wants several.
 *
 * Functions here return 0 or a negative errno, like the rest of metafs.
 */
#ifndef METAFS_BASE_H
#define METAFS_BASE_H

#include "base_array.h"
#include "base_crash.h"
#include "base_date.h"
#include "base_fs.h"
#include "base_msg.h"
#include "base_path.h"
#include "base_prog.h"
#include "textbuf.h"

#endif
