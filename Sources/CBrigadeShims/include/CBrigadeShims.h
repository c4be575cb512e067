// The few GNU extensions of glibc that Swift's Glibc module does not show (they need
// _GNU_SOURCE): starting a child process without Foundation's Process (see ChildProcess), and
// a thread's own nice value (see VMThread), and giving freed heap back (see HeapTrim).
#ifndef C_BRIGADE_SHIMS_H
#define C_BRIGADE_SHIMS_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no other child inherits.
int brigade_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `from` on.
int brigade_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

/// Gives the calling thread the nice value `niceness` (Linux keeps one per thread); 0 or -1.
int brigade_set_thread_niceness(int niceness);

/// Gives thread `tid` of this process the nice value `niceness`; 0 or -1.
int brigade_set_niceness_of_thread(int tid, int niceness);

/// malloc_trim(0) where the C library is glibc: gives the free memory at the top of every malloc
/// arena back to the system. 1 when some was given back, 0 otherwise (and on other C libraries).
int brigade_release_free_heap(void);

#endif
