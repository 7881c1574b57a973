//! Faults and floods: every server is hurt the ways a lab full of students can hurt it, and
//! afterwards must be alive, answer correctly, and be back to the threads, open files and
//! memory it had before.
//!
//! Bounded: fixed counts, a deadline on every wait, loopback only. The checks of threads and
//! open files read `/proc`, so they run on Linux only; the rest runs everywhere.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tests::usage::{Usage, usage};
use tests::{PATIENCE, ServerProcess, connect, data_of, exchange};

/// Connections churned per TCP mode: 10,000, or 500 for a Windows build under wine, whose
/// single wineserver process serialises every socket call of every program it runs.
fn churn() -> usize {
    if tests::launched() { 500 } else { 10_000 }
}
/// Threads churning them (the iterative mode takes one at a time).
const WORKERS: usize = 8;
/// Enough to need several full reads and to fill socket buffers.
const MIB: usize = 1024 * 1024;

/// A deterministic jumble of bytes, different for each `seed`.
fn jumble(seed: usize, len: usize) -> Vec<u8> {
    let mut state = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A churned client's connection. On Linux the `i`th comes from a loopback address of its
/// own (127.2.0.1 on: all of 127.0.0.0/8 is this machine there): the storm's clients close
/// first, so each leaves its port in TIME_WAIT for a minute, and 30,000 of them on 127.0.0.1
/// would leave few free ports there for the other tests' servers.
fn churned(address: SocketAddr, i: usize) -> TcpStream {
    if cfg!(target_os = "linux") && !tests::launched() {
        let from = Ipv4Addr::new(127, 2, (i / 250 % 250) as u8, (i % 250 + 1) as u8);
        return tests::talk::connect_from(from, address);
    }
    connect(address)
}

/// One churned connection, misbehaving in the way its number picks.
fn churn_one(address: SocketAddr, i: usize) {
    let mut stream = churned(address, i);
    match i % 10 {
        // Reset: SO_LINGER 0 makes close() send RST, right after a message.
        1 => {
            stream.write_all(b"reset after this\n").expect("send");
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
        }
        // Gone mid-reply: sends plenty and never reads.
        2 => {
            let _ = stream.write_all(&[b'm'; 32 * 1024]);
        }
        // Half-closed: the reply still comes, then the end.
        3 => {
            stream.write_all(b"half closed\n").expect("send");
            stream.shutdown(Shutdown::Write).expect("half-close");
            let mut all = Vec::new();
            stream.read_to_end(&mut all).expect("reply and end");
            assert_eq!(data_of(&all), b"half closed\n");
        }
        4 => exchange(&mut stream, b"\xff\xfe\xe4\xb8 invalid \xed\xa0\x80\n"),
        5 => exchange(&mut stream, &jumble(i, 1 + i % 1000)),
        // Connects and leaves without a word.
        6 => {}
        7 => exchange(&mut stream, "中文消息\n".as_bytes()),
        // Resets without a word.
        8 => {
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
        }
        _ => exchange(&mut stream, format!("hello {i}\n").as_bytes()),
    }
}

/// Waits (bounded) until the server's threads and open files are back within `margin` of
/// `before`, then checks its memory stayed bounded.
fn assert_back_to(server: &ServerProcess, before: Option<Usage>, what: &str) {
    let Some(before) = before else { return };
    let margin = 2;
    // Clients that have just left may still be closing: give them a moment to get back to
    // the very start, then allow the margin.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut now = usage(server.pid()).expect("usage");
    // /proc has no event to wait on: it is read again until the counts are back, for a while.
    while (now.threads > before.threads || now.files > before.files) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
        now = usage(server.pid()).expect("usage");
    }
    eprintln!("{what}: before {before:?}, after {now:?}");
    assert!(
        now.threads <= before.threads + margin,
        "{what}: threads {before:?} -> {now:?}"
    );
    assert!(
        now.files <= before.files + margin,
        "{what}: open files {before:?} -> {now:?}"
    );
    assert!(
        now.rss_kib < before.rss_kib + 64 * 1024,
        "{what}: RSS {before:?} -> {now:?}"
    );
}

/// Sends 1 MiB with no newline and reads every reply back: nothing lost, none of it cut.
fn flood_without_newlines(address: SocketAddr) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let stream = connect(address);
        let mut reader = stream.try_clone().expect("clone");
        let data = jumble(7, MIB)
            .iter()
            .map(|b| b'a' + b % 26)
            .collect::<Vec<u8>>();
        let sent = data.clone();
        let writer = thread::spawn(move || {
            let mut stream = stream;
            stream.write_all(&sent).expect("send 1 MiB");
            stream.shutdown(Shutdown::Write).expect("half-close");
        });
        let mut replies = Vec::new();
        reader.read_to_end(&mut replies).expect("all replies");
        writer.join().expect("writer");
        // Replies are `[ctime] ` + data, and the data holds no `[`.
        let back: Vec<u8> = replies
            .split(|&b| b == b'[')
            .skip(1)
            .flat_map(|part| part[26..].to_vec())
            .collect();
        assert_eq!(back.len(), data.len());
        assert!(back == data, "the 1 MiB came back changed");
    })
}

/// A client that says `message` (one line) and has its reply: served. The places of clients
/// that have just left (the churn's last, the holdouts) are freed once the server has seen
/// them go, a moment after their close; meanwhile a new client may be told the server is busy,
/// and tries again 10 ms later, as a person would, until [`PATIENCE`] has passed.
fn served(address: SocketAddr, message: &[u8]) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut stream = connect(address);
        stream.write_all(message).expect("send");
        let mut line = Vec::new();
        let mut byte = [0];
        while !line.ends_with(b"\n")
            && line.len() < 4096
            && stream.read(&mut byte).is_ok_and(|n| n == 1)
        {
            line.push(byte[0]);
        }
        if !common::last_words::are_last_words(&line) {
            assert_eq!(data_of(&line), message);
            return stream;
        }
        assert!(
            Instant::now() < deadline,
            "still busy after {PATIENCE:?}: {}",
            String::from_utf8_lossy(&line)
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// A client that sends a lot and never reads its replies.
fn slow_reader(address: SocketAddr) -> TcpStream {
    let stream = connect(address);
    stream
        .set_write_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut writer = &stream;
    // Writes until the buffers on both sides are full and the write times out.
    for _ in 0..64 {
        if writer.write_all(&[b's'; 64 * 1024]).is_err() {
            break;
        }
    }
    stream
}

fn stress_tcp_mode(mode: &str) {
    let concurrent = mode != "iterative";
    let server = ServerProcess::start(
        "tcp-server",
        &[
            "--mode",
            mode,
            "--quiet",
            "--max-clients",
            "100",
            "--write-timeout",
            "2",
            "--idle-timeout",
            "20",
        ],
    );
    let address = server.address;
    tests::talk::warm_up(address);
    let before = usage(server.pid());
    let started = Instant::now();

    // Hold-outs for the whole churn: silent clients, slow readers, 1 MiB floods.
    let (silent, slow, floods) = if concurrent {
        let silent: Vec<TcpStream> = (0..20).map(|_| connect(address)).collect();
        let slow: Vec<TcpStream> = (0..5).map(|_| slow_reader(address)).collect();
        let floods: Vec<_> = (0..2).map(|_| flood_without_newlines(address)).collect();
        (silent, slow, floods)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };

    // The churn.
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..if concurrent { WORKERS } else { 1 })
        .map(|_| {
            let next = Arc::clone(&next);
            thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= churn() {
                        break;
                    }
                    churn_one(address, i);
                }
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .expect("every churned client behaved as expected");
    }
    for flood in floods {
        flood.join().expect("the floods came back whole");
    }
    // The slow readers were cut off by --write-timeout, or are now.
    drop(slow);
    drop(silent);
    let churned = started.elapsed();

    if concurrent {
        // Past --max-clients: the 101st is told the server is busy; the others are not disturbed.
        let mut full: Vec<TcpStream> = (0..100).map(|_| served(address, b"in\n")).collect();
        let mut extra = connect(address);
        let mut busy = String::new();
        extra.read_to_string(&mut busy).expect("the busy line");
        assert!(busy.contains("busy"), "{busy}");
        exchange(&mut full[0], b"still served\n");
    }

    // After all that: alive, correct, and back to where it started.
    drop(served(address, b"after the storm\n"));
    let mut server = server;
    assert!(server.is_running(), "{mode}: the server died");
    eprintln!("{mode}: churned {} connections in {churned:?}", churn());
    assert_back_to(&server, before, mode);
}

#[test]
fn the_threaded_server_survives_a_storm_and_leaks_nothing() {
    stress_tcp_mode("threaded");
}

#[test]
fn the_event_server_survives_a_storm_and_leaks_nothing() {
    stress_tcp_mode("event");
}

#[test]
fn the_iterative_server_survives_a_storm_and_leaks_nothing() {
    stress_tcp_mode("iterative");
}

#[test]
fn a_flood_does_not_starve_the_other_clients() {
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--quiet"]);
        let address = server.address;
        let flood = flood_without_newlines(address);
        let mut other = connect(address);
        for round in 0..50 {
            exchange(&mut other, format!("my turn {round}\n").as_bytes());
        }
        flood.join().expect("flood");
    }
}

#[test]
fn a_client_that_never_reads_is_cut_off_and_frees_its_place() {
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start(
            "tcp-server",
            &["--mode", mode, "--max-clients", "1", "--write-timeout", "1"],
        );
        let address = server.address;
        let _stuck = slow_reader(address);
        // Its place frees once the server gives up on it.
        assert!(
            server.wait_for_log("--write-timeout").is_some(),
            "{mode}: the stuck client was never cut off"
        );
        let mut next = connect(address);
        exchange(&mut next, b"my turn\n");
    }
}

#[test]
fn the_udp_server_survives_floods_and_vanished_senders() {
    let mut server = ServerProcess::start("udp-server", &["--quiet", "--bufsize", "65480"]);
    let address = server.address;
    let probe = UdpSocket::bind("127.0.0.1:0").expect("bind");
    // Asks as a UDP client does, sending again after a quiet half second: a datagram that
    // meets a full queue is dropped, by design, as the floods' are.
    let ask = |message: &[u8]| {
        probe
            .set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        let mut buffer = vec![0; 70_000];
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            probe.send_to(message, address).expect("send");
            // A late answer to an earlier try may come first.
            while let Ok((len, _)) = probe.recv_from(&mut buffer) {
                if data_of(&buffer[..len]) == message {
                    return;
                }
            }
        }
        panic!("no reply to {message:?} within {PATIENCE:?}");
    };
    ask(b"warm-up");
    let before = usage(server.pid());

    let floods: Vec<_> = (0..4)
        .map(|sender| {
            thread::spawn(move || {
                let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
                socket
                    .set_read_timeout(Some(Duration::from_millis(1)))
                    .expect("timeout");
                let mut buffer = vec![0; 70_000];
                for i in 0..500 {
                    let size = match i {
                        0 => 0,
                        1 => 65_507,
                        2 => 65_480,
                        3 => 65_481,
                        _ => jumble(sender * 1000 + i, 3)[0] as usize * 257 % 65_508,
                    };
                    let _ = socket.send_to(&jumble(i, size), address);
                    let _ = socket.recv_from(&mut buffer); // read some, drop the rest
                }
            })
        })
        .collect();
    // Senders that vanish before their reply: ICMP "port unreachable" back to the server.
    for _ in 0..300 {
        let gone = UdpSocket::bind("127.0.0.1:0").expect("bind");
        gone.send_to(b"gone", address).expect("send");
    }
    for flood in floods {
        flood.join().expect("flood");
    }
    // Answered after what was queued before it: the server met every flood and refusal.
    ask(b"after the flood");
    assert!(server.is_running(), "the UDP server died");
    assert_back_to(&server, before, "udp");
}
