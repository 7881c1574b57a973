//! Room in memory for one more client, when the system limits the server's memory.
//!
//! Not the book. Under `ulimit -v` or `prlimit --as=400000000` (a teacher's shared machine, a
//! container), memory runs out long before the machine's does, and Rust ends a program whose
//! allocation fails ("memory allocation of 80 bytes failed"). So, only where such a limit is
//! set, what a client costs is reserved before it is taken on: the server takes on a client
//! only while [`RESERVE`] is still free under the limit, beside what the clients taken on in
//! the last second may still take as they start talking ([`GROWTH`] and two buffers each:
//! a class that connects at once is taken on before its threads have made their buffers) and
//! what every client connected may take later ([`SETTLED`] each). A client turned away for
//! want of it hears the busy line that says the server ran out of memory. With no limit set,
//! nothing is measured: the system's own memory is then the limit, and the kernel, not an
//! allocation, says when it is gone.
//!
//! How much is used: on Linux, the process's own count (`VmSize` and `VmData` in
//! `/proc/self/status`), read at each new client. Elsewhere, by asking for that much (at
//! least [`TRIAL`] bytes) and giving it back at once.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What must stay free under the limit for one more client to be taken on: its thread's
/// stack (128 KiB) and buffers, the lines waiting to be written, and the heap growing once
/// (by 1 MiB).
pub const RESERVE: u64 = 8 << 20;

/// What a client taken on in the last second may still take besides its two buffers of
/// `--bufsize` (one read, its replies): its thread's first allocations and its clock (about
/// 44 KiB), with room to spare.
pub const GROWTH: u64 = 64 << 10;

/// What any client connected may still take later: replies that wait for a slow reader, a
/// long line's reply.
pub const SETTLED: u64 = 8 << 10;

/// How long a client counts as just taken on.
const SETTLING: Duration = Duration::from_secs(1);

/// Where the process's own count cannot be read: the fewest bytes asked for, to see that
/// there is room. More than 32 MiB because glibc keeps freed blocks of up to 32 MiB for
/// reuse, so that a smaller trial would be served from memory the server already holds, and
/// prove nothing.
const TRIAL: u64 = 40 << 20;

/// The system's limits on this process's memory, as they were at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Limits {
    /// `RLIMIT_AS` (`ulimit -v`, `prlimit --as`): all the address space the process may map.
    address_space: Option<u64>,
    /// `RLIMIT_DATA` (`prlimit --data`): its heap and other private writable memory.
    data: Option<u64>,
}

/// Room in memory for clients, under the system's limits.
#[derive(Debug)]
pub struct Memory {
    /// The limits; none set, and every client fits.
    limits: Limits,
    /// What a client just taken on may still take ([`GROWTH`] and two buffers).
    just_taken_on: u64,
    /// When each client of the last [`SETTLING`] was taken on.
    recent: Mutex<VecDeque<Instant>>,
}

impl Memory {
    /// The limits set on this process now (none on systems without them), for clients read
    /// with buffers of `bufsize` bytes.
    pub fn of_this_process(bufsize: usize) -> Memory {
        Memory {
            limits: limits(),
            just_taken_on: GROWTH + 2 * bufsize as u64,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether one more client fits beside the `connected` ones (always, with no limit set);
    /// if it does, it counts as just taken on.
    pub fn take_on(&self, connected: usize) -> bool {
        if self.limits == Limits::default() {
            return true;
        }
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        while recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= SETTLING)
        {
            recent.pop_front();
        }
        let needed = self.needed(connected, recent.len());
        let room = match std::fs::read_to_string("/proc/self/status") {
            Ok(status) => self.limits.room_in(&status, needed),
            Err(_) => {
                let trial = usize::try_from(needed.max(TRIAL)).unwrap_or(usize::MAX);
                Vec::<u8>::new().try_reserve_exact(trial).is_ok()
            }
        };
        if room {
            recent.push_back(now);
        }
        room
    }

    /// What must be free for one more client beside `connected` ones, `recent` clients
    /// having been taken on in the last second (those still connected may be starting).
    fn needed(&self, connected: usize, recent: usize) -> u64 {
        let starting = recent.min(connected) as u64;
        RESERVE + self.just_taken_on * starting + SETTLED * connected as u64
    }
}

impl Limits {
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
fn limits() -> Limits {
    use nix::sys::resource::{RLIM_INFINITY, Resource, getrlimit};
    let limit = |resource| {
        getrlimit(resource)
            .ok()
            .map(|(soft, _)| soft)
            .filter(|&soft| soft != RLIM_INFINITY)
    };
    Limits {
        address_space: limit(Resource::RLIMIT_AS),
        data: limit(Resource::RLIMIT_DATA),
    }
}

/// Only Unix limits a process's memory this way.
#[cfg(not(unix))]
fn limits() -> Limits {
    Limits::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\ttcp-server\nVmPeak:\t  400000 kB\nVmSize:\t  300000 kB\nVmData:\t   50000 kB\nThreads:\t3\n";

    #[test]
    fn no_limit_always_has_room() {
        let memory = Memory {
            limits: Limits::default(),
            ..Memory::of_this_process(1024)
        };
        assert!((0..1000).all(|connected| memory.take_on(connected)));
        assert!(
            memory.recent.lock().expect("recent").is_empty(),
            "nothing counted"
        );
    }

    #[test]
    fn a_client_is_taken_on_while_the_reserve_is_free_under_each_limit() {
        let used = 300_000 * 1024;
        let address_space = |limit| Limits {
            address_space: Some(limit),
            data: None,
        };
        assert!(address_space(used + RESERVE).room_in(STATUS, RESERVE));
        assert!(!address_space(used + RESERVE - 1).room_in(STATUS, RESERVE));
        assert!(
            !address_space(used / 2).room_in(STATUS, RESERVE),
            "over the limit already"
        );
        let data = Limits {
            address_space: None,
            data: Some(50_000 * 1024 + RESERVE - 1),
        };
        assert!(!data.room_in(STATUS, RESERVE));
        // A status without the count: no room rather than a guess.
        assert!(!address_space(u64::MAX).room_in("Name:\tx\n", RESERVE));
    }

    #[test]
    fn clients_just_taken_on_keep_room_to_start_and_the_others_a_little() {
        let memory = Memory::of_this_process(1024);
        assert_eq!(memory.needed(0, 0), RESERVE);
        // A class of 30 connecting at once: each may still make its buffers and clock.
        assert_eq!(
            memory.needed(30, 30),
            RESERVE + 30 * (GROWTH + 2048) + 30 * SETTLED
        );
        // The same class a second later: settled, they keep a little each.
        assert_eq!(memory.needed(30, 0), RESERVE + 30 * SETTLED);
        // A large --bufsize costs its two buffers per client just taken on.
        let large = Memory::of_this_process(256 << 10);
        assert_eq!(large.needed(1, 1), RESERVE + GROWTH + (512 << 10) + SETTLED);
        // Clients that came and went in the last second (the book's loop) are not starting.
        assert_eq!(memory.needed(0, 600), RESERVE);
    }

    #[test]
    fn the_counts_are_read_from_their_lines() {
        assert_eq!(kib(STATUS, "VmSize:"), Some(300_000));
        assert_eq!(kib(STATUS, "VmData:"), Some(50_000));
        assert_eq!(kib(STATUS, "VmSwap:"), None);
    }
}
