//! Which connections the log shows, bounded per source address: a client that connects and
//! disconnects in a loop cannot fill the teacher's disk, while a class behind one address (a
//! NAT) is still logged line by line.
//!
//! Not the book. The book prints a line for every connection. A student's script that
//! reconnects as fast as it can makes that 40 MB of log a minute, the same from one address
//! or from thousands (every `127.x.y.z` is this machine's own). So each connection is either
//! shown whole (its `...connected from:` line, its messages within its own share, its end) or
//! not at all, and only counted; which, two token buckets decide, as syslog and journald limit
//! each sender:
//!
//! - each source address has a bucket of [`PER_ADDRESS_BURST`] connections, filled again at
//!   [`PER_ADDRESS_RATE`] a second: a class of 30 connecting at once from behind one NAT
//!   address is shown whole; one address reconnecting in a loop, a connection a second;
//! - all addresses together share one bucket of [`ALL_BURST`], filled again at [`ALL_RATE`] a
//!   second, so that thousands of addresses cannot each take a burst. An address that already
//!   has a shown connection open (that NAT'd class, while it works) is bounded by its own
//!   bucket only, so a flood from one other address does not hide its next students.
//!
//! Connections not shown are counted per address, and one line says how many before that
//! address's next line, or when the server stops. IPv6 addresses count by their /64 network,
//! since one machine may use any address of its /64 (as DNS response rate limiting groups
//! clients by network).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Instant;

use common::lang::count;
use common::log;

/// Connections one address may have shown at once: a class of 30 behind one NAT address,
/// with room to spare.
pub const PER_ADDRESS_BURST: f64 = 40.0;

/// Connections a second one address may have shown once its burst is spent.
pub const PER_ADDRESS_RATE: f64 = 1.0;

/// Connections all addresses together may have shown at once.
pub const ALL_BURST: f64 = 100.0;

/// Connections a second all addresses together may have shown once that burst is spent.
pub const ALL_RATE: f64 = 2.0;

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
    /// Its connections shown and still open.
    shown_open: usize,
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

/// Which connections the log shows.
#[derive(Debug)]
pub struct ConnectionLog {
    /// The addresses followed one by one.
    addresses: HashMap<Source, Address>,
    /// The bucket all addresses share.
    all: Bucket,
    /// Connections not shown from addresses that were not followed.
    others_untold: u64,
}

/// The log's decision about one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown(pub bool);

impl ConnectionLog {
    /// Nothing shown yet; every bucket full.
    pub fn new(now: Instant) -> ConnectionLog {
        ConnectionLog {
            addresses: HashMap::new(),
            all: Bucket::full(ALL_BURST, now),
            others_untold: 0,
        }
    }

    /// A client from `ip` has connected at `now`: whether its lines are shown, and, when they
    /// are, the counts of connections not shown to tell first.
    pub fn arrived(&mut self, ip: IpAddr, now: Instant) -> (Shown, Vec<Untold>) {
        let source = Source::of(ip);
        self.all.fill(ALL_BURST, ALL_RATE, now);
        if !self.addresses.contains_key(&source) && !self.room_for_one_more(now) {
            if self.all.has_one() {
                self.all.take_one();
                return (Shown(true), self.told_others());
            }
            self.others_untold += 1;
            return (Shown(false), Vec::new());
        }
        let address = self.addresses.entry(source).or_insert_with(|| Address {
            bucket: Bucket::full(PER_ADDRESS_BURST, now),
            shown_open: 0,
            untold: 0,
        });
        address
            .bucket
            .fill(PER_ADDRESS_BURST, PER_ADDRESS_RATE, now);
        // An address with a shown connection open is a class at work: its own bucket bounds it.
        let on_its_own = address.shown_open > 0;
        if !address.bucket.has_one() || !(on_its_own || self.all.has_one()) {
            address.untold += 1;
            return (Shown(false), Vec::new());
        }
        address.bucket.take_one();
        if !on_its_own {
            self.all.take_one();
        }
        address.shown_open += 1;
        let skipped = std::mem::take(&mut address.untold);
        let mut untold = self.told_others();
        if skipped > 0 {
            untold.insert(0, (Who::Address(source), skipped));
        }
        (Shown(true), untold)
    }

    /// A client from `ip` has gone; `shown` is what [`arrived`](Self::arrived) said of it.
    pub fn left(&mut self, ip: IpAddr, shown: Shown) {
        if !shown.0 {
            return;
        }
        if let Some(address) = self.addresses.get_mut(&Source::of(ip)) {
            address.shown_open = address.shown_open.saturating_sub(1);
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
    /// addresses that have nothing shown open and a full bucket (their counts go on in the
    /// count of the others).
    fn room_for_one_more(&mut self, now: Instant) -> bool {
        if self.addresses.len() < ADDRESSES_FOLLOWED {
            return true;
        }
        let mut forgotten = 0;
        self.addresses.retain(|_, address| {
            address
                .bucket
                .fill(PER_ADDRESS_BURST, PER_ADDRESS_RATE, now);
            let forgettable = address.shown_open == 0 && address.bucket.tokens >= PER_ADDRESS_BURST;
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

/// A client from `ip` has connected: whether its lines are shown (the counts of connections
/// not shown before it are logged first).
pub fn arrived(ip: IpAddr) -> Shown {
    let (shown, untold) = LOG
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .arrived(ip, Instant::now());
    untold.into_iter().for_each(log_untold);
    shown
}

/// A client from `ip` has gone.
pub fn left(ip: IpAddr, shown: Shown) {
    LOG.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .left(ip, shown);
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
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an IP")
    }

    /// How many of `n` connections from `from`, all at `now`, are shown; each left at once
    /// when `leave`.
    fn shown(log: &mut ConnectionLog, from: &str, n: usize, now: Instant, leave: bool) -> usize {
        told(log, from, n, now, leave).0
    }

    /// [`shown`], and the sum of the counts told before them.
    fn told(
        log: &mut ConnectionLog,
        from: &str,
        n: usize,
        now: Instant,
        leave: bool,
    ) -> (usize, u64) {
        let (mut shown, mut told) = (0, 0);
        for _ in 0..n {
            let (this, untold) = log.arrived(ip(from), now);
            if leave {
                log.left(ip(from), this);
            }
            shown += usize::from(this.0);
            told += untold.iter().map(|(_, n)| n).sum::<u64>();
        }
        (shown, told)
    }

    #[test]
    fn one_address_reconnecting_in_a_loop_is_shown_a_connection_a_second() {
        let start = Instant::now();
        let mut log = ConnectionLog::new(start);
        assert_eq!(shown(&mut log, "127.0.0.1", 1000, start, true), 40);
        let mut total = 40;
        for second in 1..=60 {
            let now = start + Duration::from_secs(second);
            total += shown(&mut log, "127.0.0.1", 1000, now, true);
        }
        assert_eq!(total, 40 + 60, "a burst, then one a second");
        // The next one shown tells how many were not since the last one shown.
        let (shown, untold) = log.arrived(ip("127.0.0.1"), start + Duration::from_secs(62));
        assert!(shown.0);
        let source = Source::of(ip("127.0.0.1"));
        assert_eq!(untold, vec![(Who::Address(source), 999)]);
    }

    #[test]
    fn thousands_of_addresses_share_one_bound() {
        let start = Instant::now();
        let mut log = ConnectionLog::new(start);
        let (mut total, mut counted) = (0, 0);
        for second in 0..30 {
            let now = start + Duration::from_secs(second);
            for i in 0..5000 {
                let from = format!("127.0.{}.{}", i / 250, i % 250 + 1);
                let (shown, told) = told(&mut log, &from, 1, now, true);
                total += shown;
                counted += told;
            }
        }
        assert_eq!(total, 100 + 29 * 2, "the shared burst, then two a second");
        assert!(log.addresses.len() <= ADDRESSES_FOLLOWED);
        let at_the_stop = log.untold();
        assert!(at_the_stop.len() <= TOLD_ONE_BY_ONE + 1, "{at_the_stop:?}");
        counted += at_the_stop.iter().map(|(_, n)| n).sum::<u64>();
        assert_eq!(counted, 30 * 5000 - total as u64, "every one counted");
    }

    #[test]
    fn a_class_behind_one_address_is_shown_whole_beside_a_flooder() {
        let start = Instant::now();
        let mut log = ConnectionLog::new(start);
        // The flooder has been at it for a minute.
        for second in 0..60 {
            let now = start + Duration::from_secs(second);
            shown(&mut log, "127.0.0.1", 500, now, true);
        }
        let now = start + Duration::from_secs(60);
        // Thirty students connect at once through one NAT address, while the flood goes on.
        let mut class = Vec::new();
        for _ in 0..30 {
            class.push(log.arrived(ip("192.0.2.7"), now).0);
            shown(&mut log, "127.0.0.1", 50, now, true);
        }
        assert!(class.iter().all(|shown| shown.0), "{class:?}");
        // They leave; their lines were shown, and the next class is shown too.
        for shown in class {
            log.left(ip("192.0.2.7"), shown);
        }
        let later = now + Duration::from_secs(40);
        assert_eq!(shown(&mut log, "192.0.2.7", 30, later, false), 30);
    }

    #[test]
    fn an_address_at_work_is_bounded_by_its_own_bucket_only() {
        let start = Instant::now();
        let mut log = ConnectionLog::new(start);
        // Others have spent the shared bucket.
        for i in 0..100 {
            shown(&mut log, &format!("10.0.0.{i}"), 1, start, true);
        }
        assert!(
            !log.arrived(ip("192.0.2.9"), start).0.0,
            "nothing left to share"
        );
        // One student of a NAT'd class was shown earlier and is still connected.
        let mut log = ConnectionLog::new(start);
        let (first, _) = log.arrived(ip("192.0.2.7"), start);
        assert!(first.0);
        for i in 0..100 {
            shown(&mut log, &format!("10.0.0.{i}"), 1, start, true);
        }
        assert_eq!(shown(&mut log, "192.0.2.7", 29, start, false), 29);
        // ... but not beyond its own bucket.
        assert_eq!(shown(&mut log, "192.0.2.7", 20, start, false), 10);
    }

    #[test]
    fn ipv6_addresses_count_by_their_network_and_mapped_ones_as_ipv4() {
        assert_eq!(
            Source::of(ip("2001:db8::1")),
            Source::of(ip("2001:db8::ffff:1234"))
        );
        assert_ne!(
            Source::of(ip("2001:db8::1")),
            Source::of(ip("2001:db8:0:1::1"))
        );
        assert_eq!(
            Source::of(ip("::ffff:127.0.0.1")),
            Source::of(ip("127.0.0.1"))
        );
        assert_eq!(Source::of(ip("2001:db8::1")).to_string(), "2001:db8::/64");
        assert_eq!(Source::of(ip("::ffff:10.0.0.1")).to_string(), "10.0.0.1");
    }
}
