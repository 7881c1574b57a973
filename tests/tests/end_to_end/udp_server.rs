//! udp-server in a hostile room: no loops between servers, a log that one flood cannot
//! swell, broadcasts answered from the server's own address, and the book's own lines.
//!
//! A forged source address needs a raw socket (root, on Linux): those tests say they are
//! skipped elsewhere. Everything stays on loopback (127.0.0.x).

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use tests::classmate::{AnswerTo, Classmate, LAYOUTS, Layout};
use tests::{PATIENCE, ServerProcess, data_of};

/// A socket on `ip`, any port, that gives up waiting after `wait`.
fn socket_on(ip: &str, wait: Duration) -> UdpSocket {
    let socket = UdpSocket::bind((ip, 0)).expect("bind");
    socket.set_read_timeout(Some(wait)).expect("timeout");
    socket
}

/// Stops `server` as Ctrl+C does and returns its last line (what it answered in all).
fn stop(server: &ServerProcess) -> String {
    server.interrupt();
    server.wait_for_log("stopped").expect("the goodbye line")
}

/// Lines of its log that say a datagram was answered.
fn answered_lines(server: &ServerProcess) -> usize {
    server
        .log()
        .iter()
        .filter(|line| line.contains("received from and returned to"))
        .count()
}

/// The counts in a stop line: datagrams answered, and not answered.
fn counts(goodbye: &str) -> (u64, u64) {
    let number_after = |word: &str| {
        goodbye
            .split(word)
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.trim_end_matches(',').parse().ok())
    };
    let answered = number_after("answered ").unwrap_or_else(|| panic!("{goodbye}"));
    (answered, number_after("going): ").unwrap_or(0))
}

/// How long a loop's end is waited for: a loop sends a datagram every few microseconds, so
/// this long without one means it has stopped.
const QUIET: Duration = Duration::from_millis(300);

#[test]
fn a_classmates_server_in_any_layout_cannot_start_a_loop() {
    for host in ["127.0.0.1", "::1"] {
        if UdpSocket::bind((host, 0)).is_err() {
            eprintln!("skipped {host}: not available here");
            continue;
        }
        let server = ServerProcess::start("udp-server", &["--host", host]);
        // Every layout at once, and two that cut what they answer at a small buffer. Each
        // classmate's first datagram stands for one forged with its address.
        let kinds = LAYOUTS
            .iter()
            .map(|&layout| (layout, 1024))
            .chain([(Layout::NoSpace, 10), (Layout::PythonBytes, 16)]);
        let classmates: Vec<(Layout, usize, Classmate)> = kinds
            .map(|(layout, bufsize)| {
                let classmate = Classmate::start(host, layout, bufsize, AnswerTo::Sender);
                (layout, bufsize, classmate)
            })
            .collect();
        for (_, _, classmate) in &classmates {
            classmate.send(b"hello", server.address);
        }
        for (layout, bufsize, classmate) in &classmates {
            let ended = classmate.wait_until_quiet(QUIET, PATIENCE);
            let answered = classmate.answered();
            assert!(
                ended,
                "{host} {layout:?}/{bufsize}: {answered} answered, still going"
            );
            assert!(
                (1..=3).contains(&answered),
                "{host} {layout:?}/{bufsize}: {answered}"
            );
        }
        // The log names each classmate once, as the one the loop was stopped with.
        for (layout, _, classmate) in &classmates {
            let name = classmate.address.to_string();
            let named = server
                .log()
                .iter()
                .filter(|line| line.starts_with("not answered") && line.contains(&name))
                .count();
            assert_eq!(named, 1, "{layout:?} {name}: {:#?}", server.log());
        }
        let (answered, refused) = counts(&stop(&server));
        let n = classmates.len() as u64;
        assert!((n..=3 * n).contains(&answered), "{answered} answered");
        assert!(refused >= n, "{refused} not answered");
    }
}

#[test]
fn a_ring_of_three_servers_stops_too() {
    // Two of ours, and a classmate's between them that passes each one's answer, stamped
    // with no space after `]`, to the other: A -> C -> B -> C -> A -> ...
    let a = ServerProcess::start("udp-server", &[]);
    let b = ServerProcess::start("udp-server", &[]);
    let between = AnswerTo::Bridge(a.address, b.address);
    let c = Classmate::start("127.0.0.1", Layout::NoSpace, 1024, between);
    c.send(b"hello", a.address);
    assert!(c.wait_until_quiet(QUIET, PATIENCE), "still going round");
    assert!(c.answered() <= 6, "{} passed on", c.answered());
    let (a_answered, a_refused) = counts(&stop(&a));
    let (b_answered, b_refused) = counts(&stop(&b));
    assert!(
        a_answered <= 3 && b_answered <= 3,
        "{a_answered}, {b_answered}"
    );
    assert_eq!(a_refused + b_refused, 1);
}

#[test]
fn a_pasted_reply_is_answered_as_the_book_answers_it() {
    let server = ServerProcess::start("udp-server", &[]);
    let student = socket_on("127.0.0.1", PATIENCE);
    let ask = |datagram: &[u8]| {
        student.send_to(datagram, server.address).expect("send");
        let mut buffer = [0; 300];
        let (len, _) = student.recv_from(&mut buffer).expect("an answer");
        buffer[..len].to_vec()
    };
    let just_got = ask(b"hi");
    assert_eq!(data_of(&just_got), b"hi");
    // The reply it just got, pasted back at once, twice, and in lower case; and the book's
    // own reply, as a student copies it from the page: each answered with a second stamp.
    for pasted in [
        just_got.clone(),
        just_got.clone(),
        just_got.to_ascii_lowercase(),
        b"[Mon Nov 30 07:12:38 2026] hi".to_vec(),
        b"[mon nov 30 07:12:38 2026] hi".to_vec(),
    ] {
        assert_eq!(data_of(&ask(&pasted)), pasted);
    }
    // Through udp-client, as a student types them.
    let typed = "hi\n[Mon Nov 30 07:12:38 2026] hi\n[mon nov 30 07:12:38 2026] hi\n";
    let done = tests::run(
        "udp-client",
        &["--port", &server.port()],
        typed.as_bytes(),
        PATIENCE,
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let lines = done.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(
        data_of(lines[1].as_bytes()),
        b"[Mon Nov 30 07:12:38 2026] hi"
    );
    assert_eq!(
        data_of(lines[2].as_bytes()),
        b"[mon nov 30 07:12:38 2026] hi"
    );
    assert!(
        !server
            .log()
            .iter()
            .any(|line| line.contains("not answered"))
    );
}

#[test]
fn a_socket_that_sends_each_answer_back_is_stopped_and_named_once() {
    let server = ServerProcess::start("udp-server", &[]);
    let echo = socket_on("127.0.0.1", QUIET);
    echo.send_to(b"hello", server.address).expect("send");
    let mut buffer = [0; 1000];
    let mut answers = 0;
    while let Ok((len, _)) = echo.recv_from(&mut buffer) {
        answers += 1;
        assert!(answers <= 3, "the loop goes on");
        echo.send_to(&buffer[..len], server.address)
            .expect("send back");
    }
    assert!(answers >= 1);
    let told = server
        .wait_for_log("not answered")
        .expect("the log says why");
    assert!(
        told.contains(&echo.local_addr().expect("address").to_string()),
        "{told}"
    );
    let (answered, refused) = counts(&stop(&server));
    assert_eq!((answered, refused), (answers, 1));
}

/// Forged sources: a raw socket, as a student with root has (Linux only).
#[cfg(target_os = "linux")]
mod forged {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

    /// A UDP datagram from `from` to `to` through a raw socket, the way a student with root
    /// forges one; `None` where raw sockets are not allowed (not root, not Linux).
    fn forge(from: SocketAddrV4, to: SocketAddrV4, data: &[u8]) -> Option<()> {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        const SOCK_RAW: i32 = 3; // Linux's number (socket2 names it only with its "all" feature)
        const IPPROTO_RAW: i32 = 255; // the header is ours: IP_HDRINCL
        let raw = Socket::new(
            Domain::IPV4,
            Type::from(SOCK_RAW),
            Some(Protocol::from(IPPROTO_RAW)),
        )
        .ok()?;
        let udp_len = 8 + data.len();
        let total = 20 + udp_len;
        let mut packet = vec![0x45, 0]; // IPv4, 20-byte header; no type of service
        packet.extend_from_slice(&(total as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]); // id, fragment, TTL, UDP, checksum
        packet.extend_from_slice(&from.ip().octets());
        packet.extend_from_slice(&to.ip().octets());
        packet.extend_from_slice(&from.port().to_be_bytes());
        packet.extend_from_slice(&to.port().to_be_bytes());
        packet.extend_from_slice(&(udp_len as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0]); // no UDP checksum (allowed over IPv4)
        packet.extend_from_slice(data);
        let target = SockAddr::from(SocketAddr::V4(SocketAddrV4::new(*to.ip(), 0)));
        raw.send_to(&packet, &target).ok().map(|_| ())
    }

    fn v4(address: SocketAddr) -> SocketAddrV4 {
        match address {
            SocketAddr::V4(v4) => v4,
            SocketAddr::V6(_) => panic!("an IPv4 server: {address}"),
        }
    }

    #[test]
    fn one_forged_datagram_does_not_start_two_servers_answering_each_other() {
        let a = ServerProcess::start("udp-server", &["--host", "127.0.0.2"]);
        let b = ServerProcess::start("udp-server", &["--host", "127.0.0.3"]);
        // A datagram to A that claims to come from B. Before, the two answered each other
        // about 10,000 times a second until stopped.
        if forge(v4(b.address), v4(a.address), b"hello").is_none() {
            eprintln!("skipped: no raw socket here (needs root on Linux)");
            return;
        }
        let stopped = |server: &ServerProcess| {
            server
                .log()
                .iter()
                .any(|line| line.starts_with("not answered"))
        };
        // Either of the two may be the one that stops the loop: two logs, not one event to
        // wait on, so both are looked at again every 10 ms, for a while.
        let deadline = Instant::now() + PATIENCE;
        while !(stopped(&a) || stopped(&b)) {
            assert!(Instant::now() < deadline, "{:?} {:?}", a.log(), b.log());
            std::thread::sleep(Duration::from_millis(10));
        }
        let (a_answered, _) = counts(&stop(&a));
        let (b_answered, _) = counts(&stop(&b));
        assert!(
            a_answered <= 3 && b_answered <= 3,
            "{a_answered}, {b_answered}"
        );
    }

    #[test]
    fn a_datagram_forged_from_the_server_itself_is_not_answered() {
        for host in ["127.0.0.2", "0.0.0.0"] {
            let server = ServerProcess::start("udp-server", &["--host", host]);
            let port = server.address.port();
            let itself = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), port);
            let (from, to) = match host {
                "0.0.0.0" => (itself, itself),
                _ => (v4(server.address), v4(server.address)),
            };
            if forge(from, to, b"echo yourself").is_none() {
                eprintln!("skipped: no raw socket here (needs root on Linux)");
                return;
            }
            let told = server
                .wait_for_log("not answered")
                .expect("the log says why");
            assert!(told.contains("own address"), "{told}");
            let goodbye = stop(&server);
            assert!(
                goodbye.contains("answered 0 datagrams"),
                "{host}: {goodbye}"
            );
        }
    }
}

#[test]
fn a_flood_from_one_sender_is_summarised_and_counted_in_full() {
    const FLOOD: usize = 3000;
    let server = ServerProcess::start("udp-server", &[]);
    let flooder = socket_on("127.0.0.1", PATIENCE);
    let started = Instant::now();
    let mut buffer = [0; 100];
    for _ in 0..FLOOD {
        flooder.send_to(b"", server.address).expect("send");
        flooder.recv_from(&mut buffer).expect("each is answered");
    }
    let seconds = started.elapsed().as_secs() as usize + 1;
    let summary = server
        .wait_for_log("not logged")
        .expect("one line says how many more came");
    assert!(
        summary.contains("more messages from 127.0.0.1:"),
        "{summary}"
    );
    let goodbye = stop(&server);
    assert!(
        goodbye.contains(&format!("answered {FLOOD} datagrams")),
        "{goodbye}"
    );
    // A few lines a second about this sender, not one per datagram (nor two: the book's
    // "waiting for message..." comes only after a line that was shown).
    let log = server.log();
    let shown = answered_lines(&server);
    assert!(
        (1..=5 * (seconds + 1)).contains(&shown),
        "{shown} in {seconds} s"
    );
    let waiting = log
        .iter()
        .filter(|line| line.contains("waiting for"))
        .count();
    assert!(
        waiting <= 2 * shown + 2 * seconds + 2,
        "{waiting} for {shown}"
    );
}

/// On `0.0.0.0` and on `::` alike (on `::`, IPv6's note of the destination is the broadcast
/// address itself, and the answer from it failed with "Network is unreachable").
#[cfg(target_os = "linux")]
#[test]
fn a_broadcast_is_answered_from_the_servers_own_address() {
    use std::net::SocketAddr;
    for host in ["0.0.0.0", "::"] {
        // Linux routes 127.255.255.255 as loopback's broadcast address.
        let server = ServerProcess::start("udp-server", &["--host", host]);
        let student = socket_on("127.0.0.1", PATIENCE);
        student.set_broadcast(true).expect("SO_BROADCAST");
        let everyone = SocketAddr::from(([127, 255, 255, 255], server.address.port()));
        if student.send_to(b"anyone?", everyone).is_err() {
            eprintln!("skipped: no loopback broadcast here");
            return;
        }
        let mut buffer = [0; 100];
        let (len, from) = student
            .recv_from(&mut buffer)
            .unwrap_or_else(|error| panic!("{host}: no answer to the broadcast: {error}"));
        assert_eq!(data_of(&buffer[..len]), b"anyone?");
        assert_eq!(
            from,
            SocketAddr::from(([127, 0, 0, 1], server.address.port()))
        );
        assert!(
            !server
                .log()
                .iter()
                .any(|line| line.contains("could not answer")),
            "{host}: {:?}",
            server.log()
        );
    }
}

#[test]
fn an_ipv4_mapped_address_has_the_ipv4_bufsize_limit() {
    let done = tests::run(
        "udp-server",
        &[
            "--host",
            "::ffff:127.0.0.1",
            "--bufsize",
            "65500",
            "--port",
            "0",
        ],
        b"",
        PATIENCE,
    );
    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert!(done.stderr.contains("65480"), "{}", done.stderr);
}

#[test]
fn the_books_lines_are_in_the_words_of_the_books_chinese_edition() {
    let mut command = tests::command("udp-server");
    command.env("LC_ALL", "zh_CN.UTF-8");
    let server = ServerProcess::start_with(command, &[]);
    let peer = socket_on("127.0.0.1", PATIENCE);
    peer.send_to(b"hi", server.address).expect("send");
    let mut buffer = [0; 100];
    peer.recv_from(&mut buffer).expect("an answer");
    // The Chinese edition prints its waiting line in Chinese and keeps the other in English,
    // for a datagram cut at the buffer too.
    server
        .wait_for_log("等待消息（数据报）的到来...")
        .expect("the book's Chinese waiting line");
    let returned = server
        .wait_for_log("...received from and returned to: 127.0.0.1:")
        .expect("the book's English line, as the Chinese edition has it");
    assert!(returned.contains("字节"), "{returned}");
    peer.send_to(&[b'x'; 2000], server.address).expect("send");
    peer.recv_from(&mut buffer).expect("an answer");
    let cut = server
        .wait_for_log("2000 字节")
        .expect("the cut datagram's line");
    assert!(
        cut.starts_with("...received from and returned to: "),
        "{cut}"
    );
}

#[cfg(unix)]
#[test]
fn trace_into_a_file_under_a_flood_does_not_blame_a_missing_reader() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("udp-server-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("trace.txt");
    let mut child = tests::KilledOnDrop::spawn(
        tests::command("udp-server")
            .args(["--port", "0", "--trace", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&file).expect("a trace file")),
    );
    let (first, stdout) = tests::first_line(child.stdout.take().expect("piped stdout"));
    let address = tests::address_in(&first).expect("an address");
    // Its stdout is read to the end, as it comes: only the trace file can be the one that is
    // slow.
    let rest = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect()
    });
    let flooder = socket_on("127.0.0.1", PATIENCE);
    let started = Instant::now();
    let mut sent = 0;
    while sent < 50_000 && started.elapsed() < Duration::from_secs(3) {
        if flooder.send_to(b"", address).is_ok() {
            sent += 1;
        }
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = tests::wait_or_kill(&mut child, PATIENCE);
    let goodbye: Vec<String> = rest.join().expect("its stdout, to the end");
    assert!(
        goodbye.iter().any(|line| line.contains("stopped")),
        "{goodbye:?}"
    );
    let trace = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(trace.contains("recvfrom(1024) -> 0 bytes"), "{sent} sent");
    for line in trace.lines().filter(|line| line.contains("dropped")) {
        assert!(!line.contains("nobody was reading"), "{line}");
        assert!(line.contains("output file"), "{line}");
    }
}
