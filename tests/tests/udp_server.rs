//! udp-server in a hostile room: no loops between servers, a log that one flood cannot
//! swell, broadcasts answered from the server's own address, and the book's own lines.
//!
//! A forged source address needs a raw socket (root, on Linux): those tests say they are
//! skipped elsewhere. Everything stays on loopback (127.0.0.x).

use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

use tests::{PATIENCE, ServerProcess, data_of};

/// A socket on `ip`, any port, that gives up waiting after `wait`.
fn socket_on(ip: &str, wait: Duration) -> UdpSocket {
    let socket = UdpSocket::bind((ip, 0)).expect("bind");
    socket.set_read_timeout(Some(wait)).expect("timeout");
    socket
}

/// Now as a ctime, in UTC as the tests run the programs.
fn ctime_now() -> String {
    chrono::Utc::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// Stops `server` as Ctrl+C does and returns its last line (what it answered in all).
fn stop(server: &ServerProcess) -> String {
    let sent = Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
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

#[test]
fn a_timestamp_reply_is_not_answered_and_the_log_says_so_once() {
    let server = ServerProcess::start("udp-server", &[]);
    let peer = socket_on("127.0.0.1", PATIENCE);
    let reply = format!("[{}] hello", ctime_now());
    for _ in 0..3 {
        peer.send_to(reply.as_bytes(), server.address)
            .expect("send");
    }
    peer.send_to(b"a message", server.address).expect("send");
    let mut buffer = [0; 200];
    let (len, _) = peer.recv_from(&mut buffer).expect("an answer");
    // The first answer is to the message: the three replies were not answered.
    assert_eq!(data_of(&buffer[..len]), b"a message");
    let told = server
        .wait_for_log("not answered")
        .expect("the log says why");
    assert!(
        told.contains(&peer.local_addr().expect("address").to_string()),
        "{told}"
    );
    let times = server
        .log()
        .iter()
        .filter(|line| line.contains("not answered"))
        .count();
    assert_eq!(times, 1, "{:?}", server.log());
    // The answer is counted right after it leaves: wait for its log line before stopping.
    server
        .wait_for_log("returned to")
        .expect("the answer is logged");
    let goodbye = stop(&server);
    assert!(goodbye.contains("answered 1 datagram,"), "{goodbye}");
    assert!(goodbye.contains("not answered"), "{goodbye}");
    assert!(goodbye.contains("3 datagrams"), "{goodbye}");
}

#[test]
fn a_timestamp_reply_is_judged_whole_under_a_bufsize_shorter_than_a_stamp() {
    // Cut to 10 bytes, "[Wed Nov 25 ..." no longer looks like a reply; two servers started
    // with --bufsize 10 answered each other 330,000 times each in 10 s from one forged datagram.
    let server = ServerProcess::start("udp-server", &["--bufsize", "10"]);
    let peer = socket_on("127.0.0.1", PATIENCE);
    let reply = format!("[{}] hello", ctime_now());
    peer.send_to(reply.as_bytes(), server.address)
        .expect("send");
    peer.send_to(b"a message", server.address).expect("send");
    let mut buffer = [0; 200];
    let (len, _) = peer.recv_from(&mut buffer).expect("an answer");
    assert_eq!(
        data_of(&buffer[..len]),
        b"a message",
        "the reply was answered"
    );
    server
        .wait_for_log("returned to")
        .expect("the answer is logged");
    let goodbye = stop(&server);
    assert!(goodbye.contains("answered 1 datagram,"), "{goodbye}");
}

#[test]
fn two_servers_do_not_answer_each_other() {
    // Without forging: a socket on B's address sends to A, takes A's reply, and hands it to
    // B, as A's reply would reach B if the first datagram had claimed to come from B.
    if UdpSocket::bind("127.0.0.3:0").is_err() {
        eprintln!("skipped: only 127.0.0.1 is loopback here (macOS)");
        return;
    }
    let a = ServerProcess::start("udp-server", &["--host", "127.0.0.2"]);
    let b = ServerProcess::start("udp-server", &["--host", "127.0.0.3"]);
    let middle = socket_on("127.0.0.3", PATIENCE);
    middle.send_to(b"ping", a.address).expect("send");
    let mut buffer = [0; 200];
    let (len, from) = middle.recv_from(&mut buffer).expect("A answers");
    assert_eq!(from, a.address);
    middle.send_to(&buffer[..len], b.address).expect("send");
    b.wait_for_log("not answered").expect("B refuses a reply");
    middle
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    assert!(
        middle.recv_from(&mut buffer).is_err(),
        "B answered a timestamp reply"
    );
    assert!(stop(&b).contains("answered 0 datagrams"));
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
        // A datagram to A that claims to come from B: A answers B once; B sees a reply and stops
        // there. Before, the two answered each other about 10,000 times a second until stopped.
        if forge(v4(b.address), v4(a.address), b"hello").is_none() {
            eprintln!("skipped: no raw socket here (needs root on Linux)");
            return;
        }
        b.wait_for_log("not answered").expect("B refuses A's reply");
        let goodbye_b = stop(&b);
        let goodbye_a = stop(&a);
        assert!(goodbye_a.contains("answered 1 datagram,"), "{goodbye_a}");
        assert!(goodbye_b.contains("answered 0 datagrams"), "{goodbye_b}");
        assert_eq!(answered_lines(&a), 1);
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
    // The Chinese edition prints its waiting line in Chinese and keeps the other in English.
    server
        .wait_for_log("等待消息（数据报）的到来...")
        .expect("the book's Chinese waiting line");
    let returned = server
        .wait_for_log("...received from and returned to: 127.0.0.1:")
        .expect("the book's English line, as the Chinese edition has it");
    assert!(returned.contains("字节"), "{returned}");
}

#[cfg(unix)]
#[test]
fn trace_into_a_file_under_a_flood_does_not_blame_a_missing_reader() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("udp-server-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let file = dir.join("trace.txt");
    let mut child = tests::command("udp-server")
        .args(["--port", "0", "--trace", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&file).expect("a trace file"))
        .spawn()
        .expect("the server starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdout.read_line(&mut first).expect("the address line");
    let address = tests::address_in(&first).expect("an address");
    let flooder = socket_on("127.0.0.1", PATIENCE);
    let started = Instant::now();
    let mut sent = 0;
    while sent < 50_000 && started.elapsed() < Duration::from_secs(3) {
        if flooder.send_to(b"", address).is_ok() {
            sent += 1;
        }
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    // Its stdout stays open to the end: only the trace file can be the one that is slow.
    let goodbye: Vec<String> = stdout.lines().map_while(Result::ok).collect();
    let _ = tests::wait_or_kill(&mut child, PATIENCE);
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
