//! Room in memory for one more client, when the system limits the server's memory.
//!
//! Not the book. Under `ulimit -v` or `prlimit --as=400000000` (a teacher's shared machine, a
//! container), memory runs out long before the machine's does, and Rust ends a program whose
//! allocation fails ("memory allocation of 80 bytes failed"). So, only where such a limit is
//! set, the server takes on a client only while [`RESERVE`] is still free under the limit:
//! the client's thread and buffers, and room for the clients taken on before it to grow. A
//! client turned away for want of it hears the busy line that says the server ran out of
//! memory. With no limit set, nothing is measured: the system's own memory is then the
//! limit, and the kernel, not an allocation, says when it is gone.
//!
//! How much is used: on Linux, the process's own count (`VmSize` and `VmData` in
//! `/proc/self/status`), read at each new client. Elsewhere, by asking for [`TRIAL`] bytes
//! and giving them back at once.

/// What must stay free under the limit for one more client to be taken on: its thread's
/// stack (128 KiB) and buffers, the lines waiting to be written, and the heap growing once
/// (by 1 MiB).
pub const RESERVE: u64 = 8 << 20;

/// What each client connected may still take, besides its two buffers of `--bufsize` (one
/// read, its replies): a class that connects at once is taken on before its threads have
/// made their buffers and read the clock (about 44 KiB each), and a client's replies can wait
/// in memory while it is slow to read them.
pub const GROWTH: u64 = 64 << 10;

/// Where the process's own count cannot be read: the bytes asked for, to see that there is
/// room. More than 32 MiB because glibc keeps freed blocks of up to 32 MiB for reuse, so that
/// a smaller trial would be served from memory the server already holds, and prove nothing.
const TRIAL: usize = 40 << 20;

/// The system's limits on this process's memory, as they were at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemoryLimit {
    /// `RLIMIT_AS` (`ulimit -v`, `prlimit --as`): all the address space the process may map.
    address_space: Option<u64>,
    /// `RLIMIT_DATA` (`prlimit --data`): its heap and other private writable memory.
    data: Option<u64>,
    /// What each client connected may still take ([`GROWTH`] and two buffers).
    per_client: u64,
}

impl MemoryLimit {
    /// The limits set on this process now (none on systems without them), for clients read
    /// with buffers of `bufsize` bytes.
    pub fn of_this_process(bufsize: usize) -> MemoryLimit {
        MemoryLimit {
            per_client: GROWTH + 2 * bufsize as u64,
            ..limits()
        }
    }

    /// True when the system sets no limit on this process's memory.
    fn unlimited(&self) -> bool {
        self.address_space.is_none() && self.data.is_none()
    }

    /// Whether one more client fits beside the `connected` ones: always, with no limit set.
    pub fn room_for_a_client(&self, connected: usize) -> bool {
        if self.unlimited() {
            return true;
        }
        let needed = RESERVE + self.per_client * connected as u64;
        match std::fs::read_to_string("/proc/self/status") {
            Ok(status) => self.room_in(&status, needed),
            Err(_) => {
                let trial = TRIAL.max(usize::try_from(needed).unwrap_or(usize::MAX));
                Vec::<u8>::new().try_reserve_exact(trial).is_ok()
            }
        }
    }

    /// Whether `needed` bytes are still free under each limit, by the counts in `status` (the
    /// text of `/proc/self/status`). A count missing is taken as no room.
    fn room_in(&self, status: &str, needed: u64) -> bool {
        let free = |limit: Option<u64>, field: &str| {
            limit.is_none_or(|limit| {
                kib(status, field).is_some_and(|used| limit.saturating_sub(used * 1024) >= needed)
            })
        };
        free(self.address_space, "VmSize:") && free(self.data, "VmData:")
    }
}

/// The number of KiB in the line of `status` that starts with `field` (`VmSize:  1234 kB`).
fn kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The limits, from `getrlimit()`.
#[cfg(unix)]
fn limits() -> MemoryLimit {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};
    let limit = |resource| {
        getrlimit(resource)
            .ok()
            .map(|(soft, _)| soft)
            .filter(|&soft| soft != RLIM_INFINITY)
    };
    MemoryLimit {
        address_space: limit(Resource::RLIMIT_AS),
        data: limit(Resource::RLIMIT_DATA),
        per_client: 0,
    }
}

/// Only Unix limits a process's memory this way.
#[cfg(not(unix))]
fn limits() -> MemoryLimit {
    MemoryLimit::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\ttcp-server\nVmPeak:\t  400000 kB\nVmSize:\t  300000 kB\nVmData:\t   50000 kB\nThreads:\t3\n";

    #[test]
    fn each_client_connected_keeps_room_to_grow() {
        let limit = MemoryLimit {
            address_space: Some(300_000 * 1024 + RESERVE + 10 * (GROWTH + 2048)),
            ..MemoryLimit::of_this_process(1024)
        };
        let status = STATUS;
        let needed = |connected: u64| RESERVE + connected * limit.per_client;
        assert!(limit.room_in(status, needed(10)));
        assert!(!limit.room_in(status, needed(11)));
    }

    #[test]
    fn no_limit_always_has_room() {
        assert!(MemoryLimit::default().room_for_a_client(100_000));
    }

    #[test]
    fn a_client_is_taken_on_while_the_reserve_is_free_under_each_limit() {
        let used = 300_000 * 1024;
        let address_space = |limit| MemoryLimit {
            address_space: Some(limit),
            ..MemoryLimit::default()
        };
        assert!(address_space(used + RESERVE).room_in(STATUS, RESERVE));
        assert!(!address_space(used + RESERVE - 1).room_in(STATUS, RESERVE));
        assert!(
            !address_space(used / 2).room_in(STATUS, RESERVE),
            "over the limit already"
        );
        let data = MemoryLimit {
            data: Some(50_000 * 1024 + RESERVE - 1),
            ..MemoryLimit::default()
        };
        assert!(!data.room_in(STATUS, RESERVE));
        // A status without the count: no room rather than a guess.
        assert!(!address_space(u64::MAX).room_in("Name:\tx\n", RESERVE));
    }

    #[test]
    fn the_counts_are_read_from_their_lines() {
        assert_eq!(kib(STATUS, "VmSize:"), Some(300_000));
        assert_eq!(kib(STATUS, "VmData:"), Some(50_000));
        assert_eq!(kib(STATUS, "VmSwap:"), None);
    }
}
