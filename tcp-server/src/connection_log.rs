//! Which connections the log shows, bounded per source address: a client that connects and
//! disconnects in a loop cannot fill the teacher's disk, while a class behind one address (a
//! NAT) is still logged line by line.
//!
//! Not the book. The book prints a line for every connection. A student's script that
//! reconnects as fast as it can makes that 40 MB of log a minute, the same from one address
//! or from thousands (every `127.x.y.z` is this machine's own). So each connection is either
//! shown whole (its `...connected from:` line, its messages within its own share, its end) or
//! not at all, and only counted. Token buckets decide, as syslog and journald limit each
//! sender:
//!
//! - each source address has a bucket of [`PER_ADDRESS_BURST`] connections, filled again at
//!   [`PER_ADDRESS_RATE`] a second: a class of 30 connecting at once from behind one NAT
//!   address is shown whole; one address reconnecting in a loop, a connection a second;
//! - all addresses together share a bucket of [`SHARED_BURST`], filled again at
//!   [`SHARED_RATE`] a second, so that thousands of addresses cannot each take a burst.
//!   There are two such buckets: one for *crowds*, addresses with another connection open
//!   at the same time (a class behind a NAT), and one for everybody else (a student, or each
//!   address of a flood that reconnects in a loop). So a flood from thousands of addresses
//!   does not hide a class connecting beside it: when a second student of a class arrives,
//!   the address is a crowd, and the students before it that were not shown are shown then,
//!   with the first lines they sent meanwhile.
//!
//! Connections not shown are counted per address, and one line says how many before that
//! address's next line, or when the server stops. IPv6 addresses count by their /64 network,
//! since one machine may use any address of its /64 (as DNS response rate limiting groups
//! clients by network).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Instant;

use common::lang::count;
use common::log;

/// Connections one address may have shown at once: a class of 30 behind one NAT address,
/// with room to spare.
pub const PER_ADDRESS_BURST: f64 = 40.0;

/// Connections a second one address may have shown once its burst is spent.
pub const PER_ADDRESS_RATE: f64 = 1.0;

/// Connections all addresses of a kind (crowds, or the others) may have shown at once.
pub const SHARED_BURST: f64 = 100.0;

/// Connections a second all addresses of a kind may have shown once that burst is spent.
pub const SHARED_RATE: f64 = 2.0;

/// How many addresses are followed one by one; beyond that, new addresses share one count
/// (a spoofer can use any number of addresses, and the server's memory stays bounded).
const ADDRESSES_FOLLOWED: usize = 4096;

/// How many addresses the stop names one by one with their counts; the rest in one line.
const TOLD_ONE_BY_ONE: usize = 5;

/// Where a connection comes from, as the log counts it: an IPv4 address, or an IPv6 /64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// An IPv4 address (an IPv4-mapped IPv6 address is this too).
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address: its network.
    V6Network(u64),
}

impl Source {
    /// The source a connection from `ip` counts against.
    pub fn of(ip: IpAddr) -> Source {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Source::V4(v4.octets()),
            IpAddr::V6(v6) => Source::V6Network((v6.to_bits() >> 64) as u64),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Source::V4(octets) => write!(f, "{}", IpAddr::from(octets)),
            Source::V6Network(network) => {
                let ip = Ipv6Addr::from_bits(u128::from(network) << 64);
                write!(f, "{ip}/64")
            }
        }
    }
}

/// How many of its log lines a connection not shown keeps, to be logged if it is shown late.
const KEPT_WHILE_NOT_SHOWN: usize = 3;

/// Whether the log shows a connection: decided when it arrives, and for a student of a
/// class that was not shown, changed when the class shows itself. Shared between the
/// connection and the log.
#[derive(Clone, Debug, Default)]
pub struct Shown(Arc<ShownState>);

/// What [`Shown`] shares.
#[derive(Debug, Default)]
struct ShownState {
    /// True once the log shows the connection.
    shown: AtomicBool,
    /// Its first lines while it was not shown: a student's first message before the next
    /// student made its address a class. Logged when it is shown, in order.
    kept: Mutex<Vec<String>>,
}

impl Shown {
    /// Shown (`true`) or not.
    pub fn new(shown: bool) -> Shown {
        let state = ShownState {
            shown: AtomicBool::new(shown),
            kept: Mutex::default(),
        };
        Shown(Arc::new(state))
    }

    /// True when the log shows this connection's lines.
    pub fn get(&self) -> bool {
        self.0.shown.load(Ordering::Relaxed)
    }

    /// For a connection [`Shown::get`] said was not shown: keeps its `line` (the first few
    /// only), to be logged if it is shown late. True if it has been shown meanwhile: then the
    /// caller logs the line as any other.
    pub fn keep(&self, line: impl FnOnce() -> String) -> bool {
        let mut kept = self.0.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if self.get() {
            return true;
        }
        if kept.len() < KEPT_WHILE_NOT_SHOWN {
            kept.push(line());
        }
        false
    }

    /// Shows the connection from now on; gives the lines it kept until now.
    fn set(&self) -> Vec<String> {
        let mut kept = self.0.kept.lock().unwrap_or_else(PoisonError::into_inner);
        self.0.shown.store(true, Ordering::Relaxed);
        std::mem::take(&mut *kept)
    }
}

/// A token bucket: `burst` tokens at most, filled again at `rate` a second.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens now (as of `at`).
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Bucket {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    /// Brings the tokens up to `now`.
    fn fill(&mut self, burst: f64, rate: f64, now: Instant) {
        let seconds = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + seconds * rate).min(burst);
        self.at = now;
    }

    fn has_one(&self) -> bool {
        self.tokens >= 1.0
    }

    fn take_one(&mut self) {
        self.tokens -= 1.0;
    }
}

/// One source address followed by the log.
#[derive(Debug)]
struct Address {
    /// Its own bucket.
    bucket: Bucket,
    /// Its connections open now, shown or not.
    open: Vec<(SocketAddr, Shown)>,
    /// Its connections not shown since its last line.
    untold: u64,
}

/// Who the connections not shown came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// One source address.
    Address(Source),
    /// New addresses, while more addresses than [`ADDRESSES_FOLLOWED`] were followed.
    Others,
}

/// Connections not shown, to be told in one line.
pub type Untold = (Who, u64);

/// What the log says of a connection that has just arrived.
#[derive(Debug, Default)]
pub struct Arrival {
    /// Whether it is shown.
    pub shown: Shown,
    /// The counts of connections not shown, to tell before its line.
    pub untold: Vec<Untold>,
    /// Connections from the same address, still open, shown now that it is a crowd, each
    /// with the lines it kept until now.
    pub shown_late: Vec<(SocketAddr, Vec<String>)>,
}

/// Which connections the log shows.
#[derive(Debug)]
pub struct ConnectionLog {
    /// The addresses followed one by one.
    addresses: HashMap<Source, Address>,
    /// The bucket that crowds share: addresses with several connections open at once.
    crowds: Bucket,
    /// The bucket every other address shares.
    singles: Bucket,
    /// Connections not shown from addresses that were not followed.
    others_untold: u64,
}

impl ConnectionLog {
    /// Nothing shown yet; every bucket full.
    pub fn new(now: Instant) -> ConnectionLog {
        ConnectionLog {
            addresses: HashMap::new(),
            crowds: Bucket::full(SHARED_BURST, now),
            singles: Bucket::full(SHARED_BURST, now),
            others_untold: 0,
        }
    }

    /// A client `peer` has connected at `now`: whether its lines are shown, and what to
    /// tell before them.
    pub fn arrived(&mut self, peer: SocketAddr, now: Instant) -> Arrival {
        let source = Source::of(peer.ip());
        self.crowds.fill(SHARED_BURST, SHARED_RATE, now);
        self.singles.fill(SHARED_BURST, SHARED_RATE, now);
        if !self.addresses.contains_key(&source) && !self.room_for_one_more(now) {
            if !self.singles.has_one() {
                self.others_untold += 1;
                return Arrival::default();
            }
            self.singles.take_one();
            return Arrival {
                shown: Shown::new(true),
                untold: self.told_others(),
                shown_late: Vec::new(),
            };
        }
        let address = self.addresses.entry(source).or_insert_with(|| Address {
            bucket: Bucket::full(PER_ADDRESS_BURST, now),
            open: Vec::new(),
            untold: 0,
        });
        address
            .bucket
            .fill(PER_ADDRESS_BURST, PER_ADDRESS_RATE, now);
        let crowd = !address.open.is_empty();
        let shared = if crowd {
            &mut self.crowds
        } else {
            &mut self.singles
        };
        let mut arrival = Arrival::default();
        if address.bucket.has_one() && shared.has_one() {
            address.bucket.take_one();
            shared.take_one();
            arrival.shown.set();
            // A crowd now: the students before this one that were not shown are shown too.
            if crowd {
                for (earlier, shown) in address.open.iter().filter(|(_, shown)| !shown.get()) {
                    if !(address.bucket.has_one() && shared.has_one()) {
                        break;
                    }
                    address.bucket.take_one();
                    shared.take_one();
                    let kept = shown.set();
                    address.untold = address.untold.saturating_sub(1);
                    arrival.shown_late.push((*earlier, kept));
                }
            }
            let skipped = std::mem::take(&mut address.untold);
            if skipped > 0 {
                arrival.untold.push((Who::Address(source), skipped));
            }
        } else {
            address.untold += 1;
        }
        address.open.push((peer, arrival.shown.clone()));
        if arrival.shown.get() {
            arrival.untold.extend(self.told_others());
        }
        arrival
    }

    /// The client `peer` has gone.
    pub fn left(&mut self, peer: SocketAddr) {
        if let Some(address) = self.addresses.get_mut(&Source::of(peer.ip())) {
            address.open.retain(|(open, _)| *open != peer);
        }
    }

    /// Every count not told yet (when the server stops): the addresses with the most, one by
    /// one, and the rest in one count.
    pub fn untold(&mut self) -> Vec<Untold> {
        let mut untold: Vec<Untold> = self
            .addresses
            .iter_mut()
            .filter(|(_, address)| address.untold > 0)
            .map(|(&source, address)| (Who::Address(source), std::mem::take(&mut address.untold)))
            .collect();
        untold.sort_by_key(|&(_, skipped)| std::cmp::Reverse(skipped));
        for (_, skipped) in untold.split_off(untold.len().min(TOLD_ONE_BY_ONE)) {
            self.others_untold += skipped;
        }
        untold.extend(self.told_others());
        untold
    }

    /// The count of connections from addresses not followed, taken to be told.
    fn told_others(&mut self) -> Vec<Untold> {
        match std::mem::take(&mut self.others_untold) {
            0 => Vec::new(),
            skipped => vec![(Who::Others, skipped)],
        }
    }

    /// Whether one more address can be followed: forgets, when the table is full, the
    /// addresses that have nothing open and a full bucket (their counts go on in the count
    /// of the others).
    fn room_for_one_more(&mut self, now: Instant) -> bool {
        if self.addresses.len() < ADDRESSES_FOLLOWED {
            return true;
        }
        let mut forgotten = 0;
        self.addresses.retain(|_, address| {
            address
                .bucket
                .fill(PER_ADDRESS_BURST, PER_ADDRESS_RATE, now);
            let forgettable = address.open.is_empty() && address.bucket.tokens >= PER_ADDRESS_BURST;
            if forgettable {
                forgotten += address.untold;
            }
            !forgettable
        });
        self.others_untold += forgotten;
        self.addresses.len() < ADDRESSES_FOLLOWED
    }
}

/// The server's connection log, shared by every thread that accepts or closes a client.
static LOG: LazyLock<Mutex<ConnectionLog>> =
    LazyLock::new(|| Mutex::new(ConnectionLog::new(Instant::now())));

/// A client `peer` has connected, with `connected` clients in all: whether its lines are
/// shown. The counts of connections not shown before it are logged first, and the book's
/// line for each student of a class shown late.
pub fn arrived(peer: SocketAddr, connected: usize) -> Shown {
    let arrival = LOG
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .arrived(peer, Instant::now());
    arrival.untold.into_iter().for_each(log_untold);
    for (addr, kept) in arrival.shown_late {
        log!(
            "...connected from: {addr} ({connected} connected)",
            "...connected from: {addr}（当前 {connected} 个客户端）"
        );
        kept.into_iter().for_each(common::out::log_line);
    }
    arrival.shown
}

/// The client `peer` has gone.
pub fn left(peer: SocketAddr) {
    LOG.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .left(peer);
}

/// Logs the counts not told yet: the server is stopping.
pub fn tell_the_rest() {
    let untold = LOG.lock().unwrap_or_else(PoisonError::into_inner).untold();
    untold.into_iter().for_each(log_untold);
}

/// Logs one count of connections not shown.
fn log_untold((who, skipped): Untold) {
    let connections = count(skipped, "more connection");
    match who {
        Who::Address(source) => log!(
            "  ({connections} from {source} not logged: it connects faster than a person would; the counts at the stop include them)",
            "  （来自 {source} 的另外 {skipped} 个连接未记入日志：它连接得比人快得多；停止时的统计包含它们）"
        ),
        Who::Others => log!(
            "  ({connections} from other addresses not logged: more addresses connecting than the log follows one by one; the counts at the stop include them)",
            "  （来自其他地址的另外 {skipped} 个连接未记入日志：同时连接的地址太多，日志无法逐一记录；停止时的统计包含它们）"
        ),
    }
}

#[cfg(test)]
mod tests;
