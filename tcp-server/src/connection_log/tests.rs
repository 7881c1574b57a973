//! The bounds on connection lines: floods from one address and from thousands, and a class
//! behind one address beside either.

use super::*;
use std::time::Duration;

/// The `n`-th connection from `ip` (each its own port).
fn peer(ip: &str, n: usize) -> SocketAddr {
    let ip: IpAddr = ip.parse().expect("an IP");
    SocketAddr::new(ip, 1024 + (n % 60_000) as u16)
}

/// Connections from `ip` that arrive at `now` and leave at once: how many were shown, and
/// the sum of the counts told before them.
fn visits(log: &mut ConnectionLog, ip: &str, n: usize, now: Instant) -> (usize, u64) {
    let (mut shown, mut told) = (0, 0);
    for i in 0..n {
        let arrival = log.arrived(peer(ip, i), now);
        log.left(peer(ip, i));
        shown += usize::from(arrival.shown.get());
        told += arrival.untold.iter().map(|(_, n)| n).sum::<u64>();
    }
    (shown, told)
}

/// A flood from a thousand addresses at `now`, each connecting once and leaving.
fn many(log: &mut ConnectionLog, round: usize, now: Instant) -> (usize, u64) {
    let (mut shown, mut told) = (0, 0);
    for i in 0..1000 {
        let ip = format!("127.1.{}.{}", (round * 1000 + i) / 250 % 250, i % 250 + 1);
        let (s, t) = visits(log, &ip, 1, now);
        shown += s;
        told += t;
    }
    (shown, told)
}

/// Thirty students connecting at once from one address, staying connected: whether each
/// is shown (early or late).
fn class(log: &mut ConnectionLog, ip: &str, now: Instant) -> Vec<Shown> {
    (0..30)
        .map(|i| log.arrived(peer(ip, 40_000 + i), now).shown)
        .collect()
}

#[test]
fn one_address_reconnecting_in_a_loop_is_shown_a_connection_a_second() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    assert_eq!(visits(&mut log, "127.0.0.1", 1000, start).0, 40);
    let mut total = 40;
    for second in 1..=60 {
        let now = start + Duration::from_secs(second);
        total += visits(&mut log, "127.0.0.1", 1000, now).0;
    }
    assert_eq!(total, 40 + 60, "a burst, then one a second");
    // The next one shown tells how many were not since the last one shown.
    let arrival = log.arrived(peer("127.0.0.1", 7), start + Duration::from_secs(62));
    assert!(arrival.shown.get());
    let source = Source::of("127.0.0.1".parse().expect("an IP"));
    assert_eq!(arrival.untold, vec![(Who::Address(source), 999)]);
}

#[test]
fn thousands_of_addresses_share_one_bound_and_every_connection_is_counted() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    let (mut shown, mut counted) = (0, 0);
    for second in 0..30 {
        for round in 0..5 {
            let (s, t) = many(
                &mut log,
                second * 5 + round,
                start + Duration::from_secs(second as u64),
            );
            shown += s;
            counted += t;
        }
    }
    assert_eq!(shown, 100 + 29 * 2, "the shared burst, then two a second");
    assert!(log.addresses.len() <= ADDRESSES_FOLLOWED);
    let at_the_stop = log.untold();
    assert!(at_the_stop.len() <= TOLD_ONE_BY_ONE + 1, "{at_the_stop:?}");
    counted += at_the_stop.iter().map(|(_, n)| n).sum::<u64>();
    assert_eq!(counted, 30 * 5000 - shown as u64, "every one counted");
}

#[test]
fn a_class_behind_one_address_is_shown_whole_beside_a_flood_from_one_address() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    for second in 0..60 {
        visits(
            &mut log,
            "127.0.0.1",
            500,
            start + Duration::from_secs(second),
        );
    }
    let now = start + Duration::from_secs(60);
    let students = class(&mut log, "192.0.2.7", now);
    assert!(students.iter().all(Shown::get), "{students:?}");
}

#[test]
fn a_class_behind_one_address_is_shown_whole_beside_a_flood_from_thousands() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    for round in 0..10 {
        many(&mut log, round, start);
    }
    // The shared bucket is spent: the first student is not shown when it comes...
    let mut late = Vec::new();
    let mut students = Vec::new();
    for i in 0..30 {
        let arrival = log.arrived(peer("192.0.2.7", 40_000 + i), start);
        late.extend(arrival.shown_late.into_iter().map(|(peer, _)| peer));
        students.push(arrival.shown);
        many(&mut log, 10 + i, start);
    }
    // ... but once a second one comes, the class is a crowd, and shown whole.
    assert!(students.iter().all(Shown::get), "{students:?}");
    assert_eq!(late, vec![peer("192.0.2.7", 40_000)]);
}

#[test]
fn a_crowd_is_bounded_by_its_own_bucket() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    // One connection held open, and a loop of others beside it from the same address.
    let held = log.arrived(peer("192.0.2.9", 0), start);
    assert!(held.shown.get());
    assert_eq!(visits(&mut log, "192.0.2.9", 1000, start).0, 39);
    let later = start + Duration::from_secs(10);
    assert_eq!(visits(&mut log, "192.0.2.9", 1000, later).0, 10);
}

#[test]
fn ipv6_addresses_count_by_their_network_and_mapped_ones_as_ipv4() {
    let ip = |text: &str| -> IpAddr { text.parse().expect("an IP") };
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

#[test]
fn a_student_shown_late_brings_the_first_lines_it_kept() {
    let start = Instant::now();
    let mut log = ConnectionLog::new(start);
    for round in 0..10 {
        many(&mut log, round, start);
    }
    let first = log.arrived(peer("192.0.2.8", 1), start);
    assert!(!first.shown.get(), "the shared bucket is spent");
    for line in ["hello", "two", "three", "four"] {
        assert!(!first.shown.keep(|| line.to_string()));
    }
    let second = log.arrived(peer("192.0.2.8", 2), start);
    let kept = vec!["hello".to_string(), "two".into(), "three".into()];
    assert_eq!(second.shown_late, vec![(peer("192.0.2.8", 1), kept)]);
    // Shown now: its lines are logged as they come, and not made to be kept.
    assert!(
        first
            .shown
            .keep(|| unreachable!("a line is made only to be kept"))
    );
}
