#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "CBrigadeShims.h"

int brigade_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int brigade_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

int brigade_set_thread_niceness(int niceness) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), niceness);
}

int brigade_set_niceness_of_thread(int tid, int niceness) {
    return setpriority(PRIO_PROCESS, (id_t)tid, niceness);
}

int brigade_release_free_heap(void) {
#ifdef __GLIBC__
    return malloc_trim(0);
#else
    return 0;
#endif
}
