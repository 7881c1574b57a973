//! The servers as a teacher and a hostile tester meet them: nobody reading their output, a
//! class connecting at once, clients turned away or closed, and a machine with two addresses.

use std::io::{Read, Write};
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use tests::{MODES, PATIENCE, ServerProcess, connect, data_of, exchange};

/// Starts a TCP server with `args` whose stdout and stderr are pipes that nobody reads once
/// its first line is read; returns it, its port, and the pipes (to be closed only at the end).
#[cfg(unix)]
fn start_unread(args: &[&str]) -> (tests::KilledOnDrop, u16, Vec<Box<dyn Read>>) {
    let mut child = tests::KilledOnDrop::spawn(
        tests::command("tcp-server")
            .args(args)
            .args(["--port", "0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let (first, stdout) = tests::first_line(child.stdout.take().expect("stdout"));
    let port = tests::address_in(&first).expect("an address").port();
    let stderr = child.stderr.take().expect("stderr");
    (child, port, vec![Box::new(stdout), Box::new(stderr)])
}

#[cfg(unix)]
#[test]
fn a_server_nobody_reads_goes_on_serving_and_stops_on_sigterm() {
    if tests::launched() {
        // Under wine 8, a Windows program whose thread is blocked writing to a full pipe
        // stalls (its replies stop, or ExitProcess does not end it): wine's own pipes, not
        // seen on Linux, and not checked on a real Windows machine.
        return;
    }
    for mode in MODES {
        for trace in [false, true] {
            let mut args = vec!["--mode", mode];
            if trace {
                args.push("--trace");
            }
            let (mut child, port, unread) = start_unread(&args);
            let mut stream = connect(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
            for i in 0..3000 {
                exchange(
                    &mut stream,
                    format!("message {i} to a full pipe\n").as_bytes(),
                );
            }
            let started = Instant::now();
            let sent = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill");
            assert!(sent.success());
            let status = tests::wait_or_kill(&mut child, Duration::from_secs(2));
            assert_eq!(status.code(), Some(0), "{mode} trace={trace}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{mode}: {:?}",
                started.elapsed()
            );
            drop(unread); // only now: until the server ended, nobody read it
        }
    }
}

#[cfg(unix)]
#[test]
fn trace_and_log_lines_never_run_into_each_other() {
    let path = std::env::temp_dir().join(format!("trace-{}.log", std::process::id()));
    let file = std::fs::File::create(&path).expect("a file for 2>&1");
    let mut child = tests::KilledOnDrop::spawn(
        tests::command("tcp-server")
            .args(["--trace", "--port", "0"])
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().expect("dup"))
            .stderr(file),
    );
    let deadline = Instant::now() + PATIENCE;
    let address = loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if let Some(address) = text.lines().find_map(|line| {
            line.contains("listening")
                .then(|| tests::address_in(line))
                .flatten()
        }) {
            break address;
        }
        assert!(Instant::now() < deadline, "no address line: {text}");
        // A file has no event to wait on: it is read again until the line is there.
        thread::sleep(Duration::from_millis(10));
    };
    let clients: Vec<_> = (0..20)
        .map(|i| {
            thread::spawn(move || {
                let mut stream = connect(address);
                for round in 0..50 {
                    exchange(
                        &mut stream,
                        format!("client {i} round {round}\n").as_bytes(),
                    );
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("served");
    }
    // Ctrl+C, and the file is read once the server has ended: all it wrote, the stop line too.
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = tests::wait_or_kill(&mut child, PATIENCE);
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&path).expect("the output");
    let _ = std::fs::remove_file(&path);
    let starts = [
        "socket()",
        "setsockopt(",
        "bind(",
        "listen(",
        "tcp-server listening",
        "tcp-server stopped",
        "mode ",
        "waiting for connection",
        "accept()",
        "...connected from",
        "recv(",
        "received ",
        "send(",
        "close()",
        "127.0.0.1:",
    ];
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        assert!(
            starts.iter().any(|start| line.starts_with(start)),
            "a line run into another: {line:?}"
        );
        let calls = ["recv(", "send(", "accept()", "close()"]
            .iter()
            .filter(|call| line.contains(*call))
            .count();
        assert!(
            calls <= 1 || line.starts_with("received"),
            "two lines in one: {line:?}"
        );
    }
    assert!(lines > 20 * 50 * 3, "{lines} lines");
}

#[test]
fn the_trace_shows_where_a_server_waits() {
    for mode in ["iterative", "threaded"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--trace"]);
        assert!(
            server.wait_for_stderr("accept() ...").is_some(),
            "{mode}: {:?}",
            server.stderr()
        );
        let mut first = connect(server.address);
        exchange(&mut first, b"first\n");
        assert!(
            server.wait_for_stderr("recv(1024) ...").is_some(),
            "{mode}: {:?}",
            server.stderr()
        );
    }
}

#[test]
fn a_class_connecting_at_once_is_answered_at_once() {
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--quiet"]);
        let address = server.address;
        let clients: Vec<_> = (0..60)
            .map(|i| {
                thread::spawn(move || {
                    let started = Instant::now();
                    let mut stream = connect(address);
                    exchange(&mut stream, format!("student {i}\n").as_bytes());
                    // Handed back still connected: no student leaves before all were
                    // answered, so a server that serves one at a time cannot pass.
                    (started.elapsed(), stream)
                })
            })
            .collect();
        let mut connected = Vec::new();
        for client in clients {
            let (took, stream) = client.join().expect("answered");
            connected.push(stream);
            // A full backlog makes the system retry the SYN after a whole second.
            assert!(took < Duration::from_millis(900), "{mode}: {took:?}");
        }
    }
}

#[test]
fn an_idle_close_sends_the_held_back_bytes_then_says_why() {
    for mode in MODES {
        let server = ServerProcess::start(
            "tcp-server",
            &["--mode", mode, "--bufsize", "4", "--idle-timeout", "1"],
        );
        let mut stream = connect(server.address);
        stream.write_all(b"ab\xe4\xb8").expect("send"); // fills the buffer inside 中
        let mut all = Vec::new();
        stream
            .read_to_end(&mut all)
            .expect("replies, then the close");
        let second = all[27..]
            .iter()
            .position(|&b| b == b'[')
            .expect("a second reply")
            + 27;
        assert_eq!(data_of(&all[..second]), b"ab", "{mode}");
        assert_eq!(
            &data_of(&all[second..])[..2],
            b"\xe4\xb8",
            "{mode}: held bytes first"
        );
        let why = String::from_utf8_lossy(&data_of(&all[second..])[2..]).into_owned();
        assert!(
            why.contains("idle") && why.ends_with('\n'),
            "{mode}: {why:?}"
        );
    }
}

#[test]
fn the_backlog_is_5_for_the_books_loop_and_128_for_the_others() {
    for (mode, backlog) in [
        ("iterative", "listen(5)"),
        ("threaded", "listen(128)"),
        ("event", "listen(128)"),
    ] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--trace"]);
        assert!(
            server.wait_for_stderr(backlog).is_some(),
            "{mode}: {:?}",
            server.stderr()
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn udp_replies_leave_from_the_address_the_datagram_was_sent_to() {
    if tests::launched() {
        // The Windows build uses the plain recvfrom()/sendto() (src/destination.rs says why),
        // so there the system picks the reply's source address.
        return;
    }
    // Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is a second address of this machine.
    let server = ServerProcess::start("udp-server", &["--host", "0.0.0.0"]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let second: std::net::SocketAddr = format!("127.0.0.2:{}", server.port())
        .parse()
        .expect("address");
    socket.connect(second).expect("connect"); // a connected socket takes replies from there only
    socket.send(b"to the second address").expect("send");
    let mut buffer = [0; 100];
    let (len, from) = socket
        .recv_from(&mut buffer)
        .expect("a reply from 127.0.0.2");
    assert_eq!(from, second);
    assert_eq!(data_of(&buffer[..len]), b"to the second address");
    let done = tests::run("udp-client", &[&second.to_string()], b"hello\n", PATIENCE);
    assert_eq!(done.code(), 0, "{}", done.stderr);
}

#[cfg(unix)]
#[test]
fn a_cut_datagram_counts_the_bytes_answered() {
    let server = ServerProcess::start("udp-server", &["--trace"]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    socket.send_to(&[b'c'; 2000], server.address).expect("send");
    let mut buffer = [0; 3000];
    let (len, _) = socket.recv_from(&mut buffer).expect("reply");
    assert_eq!(len, 27 + 1024);
    let traced = server
        .wait_for_stderr("recvfrom(1024) -> 1024 bytes")
        .expect("the cut, traced");
    assert!(traced.contains("2000"), "{traced}");
    // The reply can reach us before the server counts it: the stop comes after its trace.
    server
        .wait_for_stderr("sendto(1051 bytes")
        .expect("the reply, traced");
    server.interrupt();
    let goodbye = server.wait_for_log("stopped").expect("goodbye");
    assert!(goodbye.contains("1 datagram, 1024 bytes"), "{goodbye}");
}

#[test]
fn a_bufsize_too_large_for_ipv4_clients_of_a_dual_stack_server_is_refused() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6");
        return;
    }
    let done = tests::run(
        "udp-server",
        &["--host", "::", "--bufsize", "65500", "--port", "0"],
        b"",
        PATIENCE,
    );
    assert_eq!(done.code(), 2, "{}", done.stderr);
    assert!(done.stderr.contains("65480"), "{}", done.stderr);
}

#[test]
fn a_lab_server_lists_the_commands_for_the_board() {
    let server = ServerProcess::start("tcp-server", &["--host", "0.0.0.0"]);
    let listed = server
        .log()
        .iter()
        .take_while(|line| !line.starts_with("mode"))
        .count();
    // Loopback is never listed; a machine with a network address lists it with its command.
    for line in server.log().iter().take(listed).skip(1) {
        assert!(line.contains("tcp-client --host "), "{line}");
        assert!(!line.contains("127.0.0.1"), "{line}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_threaded_server_gives_back_its_memory_after_3000_clients() {
    tests::allow_open_files(8192);
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let rss = |pid: u32| tests::usage::rss_kib(pid).expect("VmRSS in /proc");
    tests::talk::warm_up(server.address);
    let before = rss(server.pid());
    let mut clients: Vec<std::net::TcpStream> = Vec::new();
    for i in 0..3000 {
        let mut stream = connect(server.address);
        exchange(&mut stream, format!("{i}\n").as_bytes());
        clients.push(stream);
    }
    let with = rss(server.pid());
    drop(clients);
    // Back near where it was: at least half of what the clients took is given back.
    let near = |now: usize| now.saturating_sub(before) < with.saturating_sub(before) / 2;
    // Memory has no event to wait on: /proc is read again until it is near, for a while.
    let deadline = Instant::now() + PATIENCE;
    while !near(rss(server.pid())) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
    }
    let after = rss(server.pid());
    eprintln!("threaded RSS: before {before} KiB, with 3000 clients {with} KiB, after {after} KiB");
    assert!(
        near(after),
        "before {before} KiB, with {with}, after {after}"
    );
    exchange(&mut connect(server.address), b"still here\n");
}

#[test]
fn a_link_local_address_without_a_zone_is_told_it_needs_one_by_every_program() {
    for (program, args) in [
        ("tcp-server", ["--host", "fe80::1", "--port", "0"]),
        ("udp-server", ["--host", "fe80::1", "--port", "0"]),
        ("tcp-client", ["--host", "fe80::1", "--port", "21567"]),
        ("udp-client", ["--host", "fe80::1", "--port", "21567"]),
    ] {
        let done = tests::run(program, &args, b"hi\n", tests::PATIENCE);
        assert_eq!(done.code(), 1, "{program}: {}", done.stderr);
        assert!(
            done.stderr.contains("link-local") && done.stderr.contains("fe80::1%eth0"),
            "{program}: {}",
            done.stderr
        );
        assert_eq!(done.stderr.lines().count(), 1, "{program}: {}", done.stderr);
    }
}

/// On `--host ::` an IPv4 client arrives as `::ffff:127.0.0.1`; both servers log it as the
/// `127.0.0.1:port` it is, as a server on `0.0.0.0` does.
#[test]
fn an_ipv4_client_of_a_dual_stack_server_is_logged_as_ipv4() {
    if UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 here");
        return;
    }
    let tcp = ServerProcess::start("tcp-server", &["--host", "::"]);
    let mut client = connect(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        tcp.address.port(),
    )));
    let local = client.local_addr().expect("its address");
    exchange(&mut client, b"hi\n");
    drop(client);
    for expected in [
        format!("...connected from: {local}"),
        format!("received 3 bytes from {local}"),
        format!("{local} disconnected"),
    ] {
        let found = tcp.wait_for_log(&expected);
        assert!(found.is_some(), "{expected}: {:#?}", tcp.log());
    }
    assert!(
        !tcp.log().iter().any(|line| line.contains("::ffff:")),
        "{:#?}",
        tcp.log()
    );

    let udp = ServerProcess::start("udp-server", &["--host", "::"]);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let to = std::net::SocketAddr::from(([127, 0, 0, 1], udp.address.port()));
    socket.send_to(b"hi", to).expect("send");
    let mut buffer = [0; 100];
    socket.recv_from(&mut buffer).expect("an answer");
    let local = socket.local_addr().expect("its address");
    let expected = format!("returned to: {local}:");
    assert!(udp.wait_for_log(&expected).is_some(), "{:#?}", udp.log());
}
