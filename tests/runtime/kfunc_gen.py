# generates tests/runtime/kfunc.case: each case runs once per mechanism
cases = r'''
NAME  entry probe on a kernel function prints one line per call
RUN   {{ETRACE}} -M 2 -n msync_loop vfs_fsync_range
AFTER {{PROGS}}/msync_loop {{TMP}}/f 20
EXPECT PID     TID     COMM            FUNC
EXPECT_REGEX ^([0-9]+) +\1 +msync_loop +vfs_fsync_range +$
EXPECT_REGEX ^([0-9]+) +\1 +msync_loop +vfs_fsync_range +$
EXPECT_LINES 3

NAME  -K on the msync path: the probed function first, the syscall below
RUN   {{ETRACE}} -K -M 1 -n msync_loop vfs_fsync_range
AFTER {{PROGS}}/msync_loop {{TMP}}/f 20
EXPECT_REGEX ^[0-9]+ +[0-9]+ +msync_loop +vfs_fsync_range +$
EXPECT_REGEX ^        vfs_fsync_range\+0x[0-9a-f]+ \[kernel\]$
EXPECT_REGEX ^        (__x64_sys_msync|__do_sys_msync|__se_sys_msync)\+0x[0-9a-f]+ \[kernel\]$
NOT_REGEX \[unknown\]

NAME  a function the workload never reaches prints only the header
RUN   exec {{ETRACE}} -K do_rmdir
AFTER {{PROGS}}/msync_loop {{TMP}}/f 5
SIGNAL INT 0.5
EXPECT PID     TID     COMM            FUNC
EXPECT_LINES 1

NAME  -v counts the events of each probe at exit, 0 included
RUN   exec {{ETRACE}} -v -K do_rmdir vfs_fsync_range > /dev/null
AFTER {{PROGS}}/msync_loop {{TMP}}/f 5
SIGNAL INT 0.5
EXPECT_STDERR ^probe 1: 0 events, 0 lost$
EXPECT_STDERR ^probe 2: [1-9][0-9]* events, 0 lost$

NAME  return probe with retval and a predicate on it
RUN   {{ETRACE}} -M 1 -n dd 'r::vfs_read (retval == 42) "%d", retval'
AFTER printf '%042d' 0 > {{TMP}}/f42; dd if={{TMP}}/f42 of=/dev/null bs=42 count=1
EXPECT_REGEX ^[0-9]+ +[0-9]+ +dd +vfs_read +42$
EXPECT_LINES 2

NAME  entry arguments in decimal and hex
RUN   {{ETRACE}} -M 1 'p::vfs_write (arg3 == 42) "n=%d x=%llx", arg3, arg3'
AFTER {{PROGS}}/write_count /dev/null 42 3
EXPECT_REGEX ^[0-9]+ +[0-9]+ +write_count +vfs_write +n=42 x=2a$

NAME  syscall names as users write them resolve to this kernel's symbol
RUN   {{ETRACE}} -M 1 'sys_write (arg3 == 42) "fd=%d n=%d", arg1, arg3'
AFTER {{PROGS}}/write_count /dev/null 42 3
EXPECT_REGEX ^[0-9]+ +[0-9]+ +write_count +__x64_sys_write +fd=3 n=42$

NAME  SyS_ names resolve too, and -v says to what
RUN   {{ETRACE}} -v -M 1 'SyS_write (arg3 == 42) "n=%d", arg3'
AFTER {{PROGS}}/write_count /dev/null 42 3
EXPECT_REGEX ^[0-9]+ +[0-9]+ +write_count +__x64_sys_write +n=42$
EXPECT_STDERR ^probe 1: SyS_write resolved to __x64_sys_write$

NAME  a user pointer argument printed with %s and @user
RUN   {{ETRACE}} -M 1 -n open_path 'p::do_sys_openat2 "%s", arg2@user'
AFTER {{PROGS}}/open_path /etc/etrace-vm 2
EXPECT_REGEX ^[0-9]+ +[0-9]+ +open_path +do_sys_openat2 +/etc/etrace-vm$

NAME  syscall wrapper arguments are user pointers without @user
RUN   {{ETRACE}} -M 1 -n open_path 'sys_openat "%s", arg2'
AFTER {{PROGS}}/open_path /etc/etrace-vm 2
EXPECT_REGEX ^[0-9]+ +[0-9]+ +open_path +__x64_sys_openat +/etc/etrace-vm$

NAME  a wildcard attaches every match and FUNC names the function hit
RUN   {{ETRACE}} -M 1 -n msync_loop 'p::vfs_fsync*'
AFTER {{PROGS}}/msync_loop {{TMP}}/f 20
EXPECT_REGEX ^[0-9]+ +[0-9]+ +msync_loop +vfs_fsync_range +$

NAME  a function of a loaded module, with its frame marked [dummy]
RUN   {{ETRACE}} -K -M 1 p::dummy_get_stats64
AFTER cat /proc/net/dev > /dev/null
EXPECT_REGEX ^[0-9]+ +[0-9]+ +cat +dummy_get_stats64 +$
EXPECT_REGEX ^        dummy_get_stats64\+0x[0-9a-f]+ \[dummy\]$

NAME  p:MODULE:func names a module function, not a uprobe
RUN   {{ETRACE}} -M 1 p:dummy:dummy_get_stats64
AFTER cat /proc/net/dev > /dev/null
EXPECT_REGEX ^[0-9]+ +[0-9]+ +cat +dummy_get_stats64 +$
'''

entry_only = r'''
NAME  an offset into the function (kprobes only)
RUN   for o in 4 5 9; do {{ETRACE}} -M 1 -n dd "p::vfs_read+$o" && break; done
AFTER for i in 1 2 3 4 5 6; do dd if=/etc/passwd of=/dev/null bs=42 count=1; sleep 0.2; done
EXPECT_REGEX ^[0-9]+ +[0-9]+ +dd +vfs_read +$

NAME  an offset inside an instruction is refused with a clear message
RUN   {{ETRACE}} p::vfs_read+1
EXPECT_EXIT 2
EXPECT_STDERR ^etrace: probe 1, column 4: offset 0x1 is not at an instruction boundary of vfs_read \(the kernel refused it\)$
EXPECT_STDERR_LINES 1
'''

fentry_only = r'''
NAME  fexit sees the arguments as well as the return value
RUN   {{ETRACE}} -M 1 'r::vfs_write (arg3 == 42) "n=%d ret=%d", arg3, retval'
AFTER {{PROGS}}/write_count /dev/null 42 3
EXPECT_REGEX ^[0-9]+ +[0-9]+ +write_count +vfs_write +n=42 ret=42$
'''

common = r'''
NAME  a pattern that matches nothing is an error
RUN   {{ETRACE}} 'p::zzz_no_such_function_*'
EXPECT_EXIT 2
EXPECT_STDERR ^etrace: probe 1, column 4: pattern 'zzz_no_such_function_\*' matches no traceable kernel function$

NAME  default mechanism: -v says which one was chosen
RUN   {{ETRACE}} -v -M 1 -n msync_loop vfs_fsync_range
AFTER {{PROGS}}/msync_loop {{TMP}}/f 20
EXPECT_STDERR ^probe 1: using fentry$
'''

out = ["# Kernel function probes. They need a kernel that allows kprobes or fentry,",
       "# so they run in the VM lab (tests/vm), once per mechanism.", ""]
def emit(block, tag, env):
    for c in block.strip().split("\n\n"):
        lines = c.strip().split("\n")
        res = []
        for l in lines:
            if l.startswith("NAME"):
                l = l + " [" + tag + "]" if tag else l
            if l.startswith("RUN") and env:
                l = "RUN   export ETRACE_MECHANISM=" + env + "; " + l[6:]
            res.append(l)
        res.append("REQUIRES kernel-functions")
        out.append("\n".join(res))
        out.append("")
for tag in ("fentry", "kprobe"):
    emit(cases, tag, tag)
emit(fentry_only, "fentry", "fentry")
emit(entry_only, "kprobe", "kprobe")
emit(common, "", "")
open("tests/runtime/kfunc.case", "w").write("\n".join(out))
