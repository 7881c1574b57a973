//! The server as the client sees it: addresses that refuse or stay silent, and late replies.

use super::*;
use proptest::prelude::*;

const STAMP: &[u8] = b"[Wed Nov 25 17:28:42 2026] ";

fn reply(data: &[u8]) -> Vec<u8> {
    [STAMP, data].concat()
}

fn lines(all: &[&str]) -> VecDeque<Vec<u8>> {
    all.iter().map(|line| line.as_bytes().to_vec()).collect()
}

/// One line's exchange, as `run` makes it: its reply, and whether every address refused.
fn exchange(server: &mut Server, line: &[u8]) -> (Option<Vec<u8>>, bool) {
    let mut cs = server.socket().expect("a socket");
    let reply = loop {
        cs.send(line).expect("send");
        match cs.wait_for_reply(line, &VecDeque::new()).expect("recvfrom") {
            Heard::Reply(reply) => break Some(reply),
            heard => {
                if !cs.try_again(&heard).expect("another try") {
                    break None;
                }
            }
        }
    };
    let refused = cs.refused_everywhere();
    cs.close();
    (reply, refused)
}

/// A socket on loopback that answers nothing.
fn mute() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    socket
}

/// An address on loopback where nothing listens (free a moment ago): it refuses.
fn closed() -> SocketAddr {
    mute().local_addr().expect("address")
}

/// A server that answers `answers` datagrams with a stamped copy, on a thread.
fn answering(answers: usize) -> (SocketAddr, std::thread::JoinHandle<()>) {
    let socket = mute();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let address = socket.local_addr().expect("address");
    let thread = std::thread::spawn(move || {
        let mut buffer = [0; 64];
        for _ in 0..answers {
            let Ok((len, client)) = socket.recv_from(&mut buffer) else {
                return;
            };
            let _ = socket.send_to(&reply(&buffer[..len]), client);
        }
    });
    (address, thread)
}

/// Datagrams waiting at `socket`.
fn received(socket: &UdpSocket) -> usize {
    let mut buffer = [0; 64];
    (0..10)
        .take_while(|_| socket.recv(&mut buffer).is_ok())
        .count()
}

#[test]
fn an_address_that_refuses_is_left_for_the_next() {
    let (live, answerer) = answering(2);
    let mut server = Server::new(vec![closed(), live], Duration::from_secs(2), 2);
    assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
    assert_eq!(server.address(), live);
    assert_eq!(exchange(&mut server, b"two"), (Some(reply(b"two")), false));
    answerer.join().expect("answered");
}

#[test]
fn an_address_silent_for_a_lines_tries_is_left_for_the_next() {
    let (silent, (live, answerer)) = (mute(), answering(2));
    let addresses = vec![silent.local_addr().expect("address"), live];
    let mut server = Server::new(addresses, Duration::from_millis(100), 1);
    assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
    assert_eq!(received(&silent), 2, "the line and its one resend");
    assert_eq!(exchange(&mut server, b"two"), (Some(reply(b"two")), false));
    assert_eq!(
        received(&silent),
        0,
        "the next line goes where the answer came from"
    );
    answerer.join().expect("answered");
}

/// Linux will not connect a UDP socket to the broadcast address without SO_BROADCAST: an
/// address this machine cannot reach, as `::1` is where there is no IPv6.
#[cfg(target_os = "linux")]
#[test]
fn an_address_that_cannot_be_reached_is_passed_over() {
    let unreachable: SocketAddr = "255.255.255.255:9".parse().expect("an address");
    assert!(open_socket(unreachable).is_err());
    let (live, answerer) = answering(2);
    let mut server = Server::new(vec![unreachable, live], Duration::from_secs(2), 2);
    assert_eq!(exchange(&mut server, b"one"), (Some(reply(b"one")), false));
    let mut server = Server::new(vec![closed(), unreachable], Duration::from_secs(2), 2);
    assert_eq!(exchange(&mut server, b"two"), (None, true));
    let mut server = Server::new(vec![unreachable, live], Duration::from_secs(2), 2);
    assert_eq!(
        exchange(&mut server, b"three"),
        (Some(reply(b"three")), false)
    );
    answerer.join().expect("answered");
    let mut server = Server::new(vec![unreachable], Duration::from_secs(2), 2);
    assert!(server.socket().is_err(), "nothing to reach is an error");
}

#[test]
fn every_address_refusing_is_the_server_down_and_silence_is_not() {
    let mut server = Server::new(vec![closed(), closed()], Duration::from_secs(2), 2);
    assert_eq!(exchange(&mut server, b"anyone?"), (None, true));
    let silent = mute();
    let addresses = vec![closed(), silent.local_addr().expect("address")];
    let mut server = Server::new(addresses, Duration::from_millis(50), 0);
    assert_eq!(exchange(&mut server, b"anyone?"), (None, false));
}

/// The refusal may come only for a later try: the first datagram's ICMP error lost on the
/// way, or not reported (seen under wine), or a server that stopped meanwhile. A port that
/// refused is no server, whatever came before.
#[test]
fn a_refusal_after_silence_is_the_server_down() {
    let stopping = mute();
    let address = stopping.local_addr().expect("address");
    let stopped = std::thread::spawn(move || {
        let mut buffer = [0; 64];
        let first = stopping.recv_from(&mut buffer);
        drop(stopping); // silent for the first try, and gone for the next
        first.is_ok()
    });
    let mut server = Server::new(vec![address], Duration::from_millis(300), 2);
    assert_eq!(exchange(&mut server, b"anyone?"), (None, true));
    assert!(stopped.join().expect("the server"), "it took the first try");
}

#[test]
fn late_replies_to_earlier_lines_are_skipped() {
    let earlier = lines(&["x", "xy"]);
    assert!(
        is_late(&reply(b"x"), b"xyz", &earlier),
        "exactly an earlier line"
    );
    assert!(is_late(&reply(b"xy"), b"xyz", &earlier));
    assert!(
        !is_late(&reply(b"xyz"), b"xyz", &earlier),
        "this line's reply"
    );
    assert!(
        !is_late(&reply(b"xyz"), b"xyz", &lines(&["xyz"])),
        "a line sent twice"
    );
}

#[test]
fn a_changed_server_is_answered_whatever_it_says() {
    let earlier = lines(&["date"]);
    assert!(!is_late(b"Wed Nov 25 17:28:42 2026", b"time", &earlier));
    assert!(!is_late(&reply(b"Nov 25"), b"date", &earlier));
}

#[test]
fn a_cut_reply_to_this_line_is_taken_and_one_to_an_earlier_line_is_not() {
    assert!(!is_late(&reply(b"hel"), b"hello", &lines(&["help me"])));
    assert!(is_late(&reply(b"wor"), b"hello", &lines(&["world"])));
}

proptest! {
    /// Whatever was sent before, the reply to this very line is never skipped, and a
    /// repeat of an earlier line that is not this one always is.
    #[test]
    fn the_rule_never_skips_this_lines_reply(
        line in proptest::collection::vec(any::<u8>(), 1..12),
        earlier in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..12), 0..6),
    ) {
        let earlier: VecDeque<Vec<u8>> = earlier.into();
        prop_assert!(!is_late(&reply(&line), &line, &earlier));
        for old in &earlier {
            if *old != line {
                prop_assert!(is_late(&reply(old), &line, &earlier));
            }
        }
    }
}

#[test]
fn no_way_to_the_address_says_what_to_check() {
    let address: SocketAddr = "192.0.2.1:21567".parse().unwrap();
    for kind in [
        io::ErrorKind::NetworkUnreachable,
        io::ErrorKind::HostUnreachable,
    ] {
        let words = format!("{:#}", cannot_connect(address, io::Error::from(kind)));
        assert!(
            words.starts_with("cannot connect to 192.0.2.1:21567"),
            "{words}"
        );
        assert!(words.contains("check the address"), "{kind:?}: {words}");
    }
    let other = format!(
        "{:#}",
        cannot_connect(address, io::Error::from(io::ErrorKind::PermissionDenied))
    );
    assert!(!other.contains("check the address"), "{other}");
}
