//! `cargo bench -p tests`: how close each server comes to this machine's floor.
//!
//! The floor is the cheapest echo of the same bytes without a timestamp, built here: a
//! thread per connection (the floor for the threaded and iterative modes), a mio event loop
//! (for the event mode) and a UDP echo loop (for udp-server). Each case runs the floor and
//! the server alternately, a few rounds each, in one run, and reports the ratio of their
//! round trips per second: absolute figures drift on a shared machine, ratios much less.
//!
//! The load generator is one thread with non-blocking sockets that keeps one line in flight
//! per connection and checks every reply. With two or more CPUs, the servers run on CPU 0
//! and the load generator on CPU 1 (`taskset`). Everything stays on loopback, every loop is
//! bounded in time, and every process started here is ended by its own id.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use mio::net::{TcpStream as MioStream, UdpSocket as MioUdp};
use mio::{Events, Interest, Poll, Token};
use tests::KilledOnDrop;

/// How long each measured round lasts.
const ROUND: Duration = Duration::from_millis(1200);
/// Rounds per server and case, interleaved with its floor's.
const ROUNDS: usize = 3;
/// The line every short-message case sends: 15 bytes and the newline.
const LINE: &[u8] = b"timestamp me!!\n";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("floor") {
        return run_floor(args.get(2).map(String::as_str).unwrap_or("threads"));
    }
    // `cargo bench -p tests -- idle` runs only the cases whose name has "idle" in it.
    let only = args
        .iter()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .cloned()
        .unwrap_or_default();
    raise_open_files_limit(25_000);
    let pinned = pin_self_to_cpu(1);
    let started = Instant::now();
    let mut table = Table::default();
    eprintln!("each case as it runs (the whole table again at the end, on stdout):");

    for (case, clients, idle, line) in [
        ("TCP, 1 client", 1, 0, LINE.to_vec()),
        ("TCP, 10 clients", 10, 0, LINE.to_vec()),
        ("TCP, 100 clients", 100, 0, LINE.to_vec()),
        ("TCP, 100 clients + 1000 idle", 100, 1000, LINE.to_vec()),
        ("TCP, 1 client, 4000-byte lines", 1, 0, long_line(4000)),
    ] {
        if !case.contains(&only) {
            continue;
        }
        let mut pairs = vec![
            (Subject::FloorThreads, Subject::Tcp("threaded")),
            (Subject::FloorEvent, Subject::Tcp("event")),
        ];
        if clients == 1 {
            pairs.insert(1, (Subject::FloorThreads, Subject::Tcp("iterative")));
        }
        for (floor, subject) in pairs {
            let result = compare(&floor, &subject, clients, idle, &line, pinned);
            table.add(case, &floor, &subject, result);
        }
    }
    for (case, clients) in [("UDP, 1 client", 1), ("UDP, 10 clients", 10)] {
        if !case.contains(&only) {
            continue;
        }
        let result = compare(&Subject::FloorUdp, &Subject::Udp, clients, 0, LINE, pinned);
        table.add(case, &Subject::FloorUdp, &Subject::Udp, result);
    }
    table.print();

    if !only.is_empty() {
        return;
    }
    println!();
    println!("Server memory per idle connection (RSS growth / connections, each answered once):");
    for (subject, count) in [
        (Subject::FloorThreads, 1000),
        (Subject::Tcp("threaded"), 1000),
        (Subject::FloorEvent, 10_000),
        (Subject::Tcp("event"), 10_000),
    ] {
        match idle_memory(&subject, count, pinned) {
            Ok(kib) => println!(
                "  {:<22} {count:>6} idle: {kib:>6.1} KiB each",
                subject.name()
            ),
            Err(error) => println!(
                "  {:<22} {count:>6} idle: not measured ({error})",
                subject.name()
            ),
        }
    }
    println!();
    println!(
        "(pinned: {pinned}; {} s in all)",
        started.elapsed().as_secs()
    );
}

/// What a case runs against.
#[derive(Clone, Debug)]
enum Subject {
    /// tcp-server in a mode.
    Tcp(&'static str),
    /// udp-server.
    Udp,
    /// The thread-per-connection echo floor.
    FloorThreads,
    /// The event-loop echo floor.
    FloorEvent,
    /// The UDP echo floor.
    FloorUdp,
}

impl Subject {
    fn name(&self) -> String {
        match self {
            Subject::Tcp(mode) => format!("tcp-server {mode}"),
            Subject::Udp => "udp-server".into(),
            Subject::FloorThreads => "floor: threads".into(),
            Subject::FloorEvent => "floor: event loop".into(),
            Subject::FloorUdp => "floor: udp echo".into(),
        }
    }

    /// True for servers that stamp their replies.
    fn stamps(&self) -> bool {
        matches!(self, Subject::Tcp(_) | Subject::Udp)
    }

    /// Starts it as a process (on CPU 0 when `pinned`), returns it and its address.
    fn start(&self, pinned: bool) -> io::Result<Running> {
        let exe = std::env::current_exe()?;
        let (program, args): (std::path::PathBuf, Vec<String>) = match self {
            Subject::Tcp(mode) => (
                tests::binary("tcp-server"),
                [
                    "--port",
                    "0",
                    "--quiet",
                    "--max-clients",
                    "20000",
                    "--mode",
                    mode,
                ]
                .map(String::from)
                .to_vec(),
            ),
            Subject::Udp => (
                tests::binary("udp-server"),
                ["--port", "0", "--quiet"].map(String::from).to_vec(),
            ),
            Subject::FloorThreads => (exe, vec!["floor".into(), "threads".into()]),
            Subject::FloorEvent => (exe, vec!["floor".into(), "event".into()]),
            Subject::FloorUdp => (exe, vec!["floor".into(), "udp".into()]),
        };
        let mut command = if pinned {
            let mut taskset = Command::new("taskset");
            taskset.arg("-c").arg("0").arg(&program);
            taskset
        } else {
            Command::new(&program)
        };
        let mut child = KilledOnDrop(
            command
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()?,
        );
        let mut first = String::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut first)?;
        // Keep reading (and dropping) what it prints, so it never blocks on a full pipe.
        thread::spawn(move || io::copy(&mut reader, &mut io::sink()));
        let address = tests::address_in(&first)
            .ok_or_else(|| io::Error::other(format!("no address in {first:?}")))?;
        Ok(Running { child, address })
    }
}

/// A server process and where it listens.
struct Running {
    /// The process, ended by its own id when dropped.
    child: KilledOnDrop,
    /// Where it listens.
    address: SocketAddr,
}

/// One round's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Figures {
    round_trips_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    /// The server's CPU time (all its threads) per round trip, in µs; NaN without `/proc`.
    cpu_us: f64,
}

/// The CPU time a process's threads have used so far, in ns, from
/// `/proc/PID/task/*/schedstat` (Linux; `None` elsewhere).
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}

/// Runs `floor` and `subject` alternately, `ROUNDS` rounds each, and keeps each one's median
/// round.
fn compare(
    floor: &Subject,
    subject: &Subject,
    clients: usize,
    idle: usize,
    line: &[u8],
    pinned: bool,
) -> Result<(Figures, Figures), String> {
    let mut floor_rounds = Vec::new();
    let mut subject_rounds = Vec::new();
    for _ in 0..ROUNDS {
        for (who, rounds) in [(floor, &mut floor_rounds), (subject, &mut subject_rounds)] {
            let running = who
                .start(pinned)
                .map_err(|e| format!("{}: {e}", who.name()))?;
            let pid = running.child.id();
            let figures = match who {
                Subject::Udp | Subject::FloorUdp => {
                    load_udp(running.address, pid, clients, line, who.stamps())
                }
                _ => load_tcp(running.address, pid, clients, idle, line, who.stamps()),
            }
            .map_err(|e| format!("{}: {e}", who.name()))?;
            rounds.push(figures);
        }
    }
    Ok((median(floor_rounds), median(subject_rounds)))
}

fn median(mut rounds: Vec<Figures>) -> Figures {
    rounds.sort_by(|a, b| a.round_trips_per_s.total_cmp(&b.round_trips_per_s));
    rounds[rounds.len() / 2]
}

/// One connection of the load generator.
struct Conn {
    stream: MioStream,
    sent_at: Instant,
    reply: Vec<u8>,
}

/// Keeps one `line` in flight on each of `clients` connections for one round (after
/// `idle` connections that each exchange one line first and one more at the end), checking
/// every reply.
fn load_tcp(
    address: SocketAddr,
    pid: u32,
    clients: usize,
    idle: usize,
    line: &[u8],
    stamped: bool,
) -> io::Result<Figures> {
    let mut idlers = Vec::with_capacity(idle);
    for _ in 0..idle {
        let mut stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        exchange_blocking(&mut stream, LINE, stamped)?;
        idlers.push(stream);
    }

    let mut poll = Poll::new()?;
    let mut conns = HashMap::new();
    for i in 0..clients {
        let std_stream = TcpStream::connect(address)?;
        std_stream.set_nodelay(true)?;
        std_stream.set_nonblocking(true)?;
        let mut stream = MioStream::from_std(std_stream);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        conns.insert(
            i,
            Conn {
                stream,
                sent_at: Instant::now(),
                reply: Vec::new(),
            },
        );
    }
    for conn in conns.values_mut() {
        send_all(&mut conn.stream, line)?;
        conn.sent_at = Instant::now();
    }

    let mut latencies = Vec::with_capacity(200_000);
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0; 64 * 1024];
    let cpu_before = cpu_ns(pid);
    let started = Instant::now();
    let mut last_progress = Instant::now();
    while started.elapsed() < ROUND {
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        if last_progress.elapsed() > Duration::from_secs(5) {
            return Err(io::Error::other("no reply for 5 s"));
        }
        for event in events.iter() {
            let Some(conn) = conns.get_mut(&event.token().0) else {
                continue;
            };
            loop {
                match conn.stream.read(&mut buffer) {
                    Ok(0) => return Err(io::Error::other("the server closed a connection")),
                    Ok(n) => conn.reply.extend_from_slice(&buffer[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            if conn.reply.last() == Some(&b'\n') {
                check_reply(&conn.reply, line, stamped)?;
                latencies.push(conn.sent_at.elapsed());
                last_progress = Instant::now();
                conn.reply.clear();
                send_all(&mut conn.stream, line)?;
                conn.sent_at = Instant::now();
            }
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before
        .zip(cpu_ns(pid))
        .map(|(before, after)| after - before);

    // Each idle connection is still answered at the end.
    for stream in &mut idlers {
        exchange_blocking(stream, LINE, stamped)?;
    }
    Ok(figures(latencies, elapsed, cpu))
}

/// Writes all of `bytes` to a non-blocking socket (the lines here fit its buffer; waits
/// briefly if not).
fn send_all(stream: &mut MioStream, mut bytes: &[u8]) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_micros(50));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn exchange_blocking(stream: &mut TcpStream, line: &[u8], stamped: bool) -> io::Result<()> {
    stream.write_all(line)?;
    let mut reply = Vec::new();
    let mut byte = [0; 4096];
    while reply.last() != Some(&b'\n') {
        let n = stream.read(&mut byte)?;
        if n == 0 {
            return Err(io::Error::other("closed before the reply"));
        }
        reply.extend_from_slice(&byte[..n]);
    }
    check_reply(&reply, line, stamped)
}

/// A reply is the line itself (floor) or the line in `[ctime] ` pieces (a server).
fn check_reply(reply: &[u8], line: &[u8], stamped: bool) -> io::Result<()> {
    let ok = if stamped {
        unstamp(reply).as_deref() == Some(line)
    } else {
        reply == line
    };
    match ok {
        true => Ok(()),
        false => Err(io::Error::other(format!(
            "wrong reply: {:?}",
            String::from_utf8_lossy(&reply[..reply.len().min(80)])
        ))),
    }
}

/// The data of a run of `[ctime] data` replies (the data holds no `[`).
fn unstamp(mut reply: &[u8]) -> Option<Vec<u8>> {
    let mut data = Vec::with_capacity(reply.len());
    while !reply.is_empty() {
        if reply.len() < 27 || reply[0] != b'[' || &reply[25..27] != b"] " {
            return None;
        }
        reply = &reply[27..];
        let end = reply.iter().position(|&b| b == b'[').unwrap_or(reply.len());
        data.extend_from_slice(&reply[..end]);
        reply = &reply[end..];
    }
    Some(data)
}

/// Like `load_tcp`, over UDP: one datagram in flight per socket, resent after a loss.
fn load_udp(
    address: SocketAddr,
    pid: u32,
    clients: usize,
    line: &[u8],
    stamped: bool,
) -> io::Result<Figures> {
    let line = &line[..line.len() - 1]; // a datagram needs no newline
    let mut poll = Poll::new()?;
    let mut sockets = Vec::new();
    for i in 0..clients {
        let std_socket = UdpSocket::bind("127.0.0.1:0")?;
        std_socket.connect(address)?;
        std_socket.set_nonblocking(true)?;
        let mut socket = MioUdp::from_std(std_socket);
        poll.registry()
            .register(&mut socket, Token(i), Interest::READABLE)?;
        socket.send(line)?;
        sockets.push((socket, Instant::now()));
    }
    let mut latencies = Vec::with_capacity(200_000);
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0; 65_536];
    let cpu_before = cpu_ns(pid);
    let started = Instant::now();
    let mut losses = 0;
    while started.elapsed() < ROUND {
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for event in events.iter() {
            let (socket, sent_at) = &mut sockets[event.token().0];
            loop {
                match socket.recv(&mut buffer) {
                    Ok(n) => {
                        let reply = &buffer[..n];
                        let data = if stamped {
                            reply.get(27..)
                        } else {
                            Some(reply)
                        };
                        if data != Some(line) {
                            return Err(io::Error::other("wrong UDP reply"));
                        }
                        latencies.push(sent_at.elapsed());
                        socket.send(line)?;
                        *sent_at = Instant::now();
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        for (socket, sent_at) in &mut sockets {
            if sent_at.elapsed() > Duration::from_millis(500) {
                losses += 1;
                socket.send(line)?;
                *sent_at = Instant::now();
            }
        }
    }
    if losses > 100 {
        return Err(io::Error::other(format!("{losses} datagrams lost")));
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before
        .zip(cpu_ns(pid))
        .map(|(before, after)| after - before);
    Ok(figures(latencies, elapsed, cpu))
}

fn figures(mut latencies: Vec<Duration>, elapsed: Duration, cpu_ns: Option<u64>) -> Figures {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
    };
    Figures {
        round_trips_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        cpu_us: cpu_ns.map_or(f64::NAN, |ns| {
            ns as f64 / 1e3 / latencies.len().max(1) as f64
        }),
    }
}

/// The server's RSS growth per idle connection, in KiB, from `/proc` (Linux only).
fn idle_memory(subject: &Subject, count: usize, pinned: bool) -> Result<f64, String> {
    let running = subject.start(pinned).map_err(|e| e.to_string())?;
    let pid = running.child.id();
    let read_rss = || -> Result<f64, String> {
        // taskset execs the server, so the pid is the server's own.
        tests::usage::rss_kib(pid)
            .map(|kib| kib as f64)
            .ok_or_else(|| "no VmRSS in /proc".to_string())
    };
    // Warm up the paths once, so the figure is per connection, not first-use costs.
    let mut warm = TcpStream::connect(running.address).map_err(|e| e.to_string())?;
    exchange_blocking(&mut warm, LINE, subject.stamps()).map_err(|e| e.to_string())?;
    drop(warm);
    thread::sleep(Duration::from_millis(200));
    let before = read_rss()?;
    let mut idlers = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(running.address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        exchange_blocking(&mut stream, LINE, subject.stamps()).map_err(|e| e.to_string())?;
        idlers.push(stream);
    }
    thread::sleep(Duration::from_millis(200));
    let after = read_rss()?;
    // Every idle connection is still answered at the end.
    for stream in &mut idlers {
        exchange_blocking(stream, LINE, subject.stamps()).map_err(|e| e.to_string())?;
    }
    Ok((after - before) / count as f64)
}

fn long_line(len: usize) -> Vec<u8> {
    let mut line: Vec<u8> = (0..len - 1).map(|i| b'a' + (i % 26) as u8).collect();
    line.push(b'\n');
    line
}

/// The result table.
#[derive(Default)]
struct Table {
    rows: Vec<String>,
}

impl Table {
    fn add(
        &mut self,
        case: &str,
        floor: &Subject,
        subject: &Subject,
        result: Result<(Figures, Figures), String>,
    ) {
        match result {
            Ok((f, s)) => {
                let ratios = (
                    s.round_trips_per_s / f.round_trips_per_s,
                    s.cpu_us / f.cpu_us,
                );
                for (who, fig, ratios) in [(floor, f, None), (subject, s, Some(ratios))] {
                    let row = format!(
                        "| {case:<31} | {:<20} | {:>9.0} | {:>7.1} | {:>7.1} | {:>6.2} | {:>5} | {:>5} |",
                        who.name(),
                        fig.round_trips_per_s,
                        fig.p50_us,
                        fig.p99_us,
                        fig.cpu_us,
                        ratios.map_or("".into(), |(r, _)| format!("{r:.2}")),
                        ratios.map_or("".into(), |(_, c)| format!("{c:.2}")),
                    );
                    eprintln!("{row}");
                    self.rows.push(row);
                }
            }
            Err(error) => {
                let row = format!("| {case:<31} | {} | failed: {error} |", subject.name());
                eprintln!("{row}");
                self.rows.push(row);
            }
        }
    }

    fn print(&self) {
        println!(
            "| case                            | server               | round trips/s | p50 µs | p99 µs | CPU µs/rt | ratio | CPU ratio |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|");
        for row in &self.rows {
            println!("{row}");
        }
    }
}

/// Pins this process (all its threads) to `cpu` when the machine has more than one.
fn pin_self_to_cpu(cpu: usize) -> bool {
    if thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return false;
    }
    Command::new("taskset")
        .args([
            "-a",
            "-c",
            "-p",
            &cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Raises this process's open-files limit (inherited by the servers it starts) with
/// `prlimit`, where it is lower than `wanted` and the system allows it.
fn raise_open_files_limit(wanted: u64) {
    let _ = Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={wanted}:{wanted}"),
        ])
        .stderr(Stdio::null())
        .status();
}

/// The floors: the cheapest echo of the same bytes, no timestamp. Run as
/// `servers floor threads|event|udp`; prints its address, serves until killed.
fn run_floor(kind: &str) {
    match kind {
        "udp" => {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
            println!("floor {}", socket.local_addr().expect("address"));
            let mut buffer = vec![0; 65_536];
            loop {
                if let Ok((n, from)) = socket.recv_from(&mut buffer) {
                    let _ = socket.send_to(&buffer[..n], from);
                }
            }
        }
        "event" => floor_event(),
        _ => {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            println!("floor {}", listener.local_addr().expect("address"));
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut stream = stream;
                    let _ = stream.set_nodelay(true);
                    let mut buffer = vec![0; 1024];
                    while let Ok(n @ 1..) = stream.read(&mut buffer) {
                        if stream.write_all(&buffer[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        }
    }
}

fn floor_event() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("floor {}", listener.local_addr().expect("address"));
    listener.set_nonblocking(true).expect("nonblocking");
    let mut listener = mio::net::TcpListener::from_std(listener);
    let mut poll = Poll::new().expect("poll");
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .expect("register");
    let mut conns: HashMap<usize, MioStream> = HashMap::new();
    let mut next = 1;
    let mut events = Events::with_capacity(1024);
    let mut buffer = vec![0; 1024];
    loop {
        if poll.poll(&mut events, None).is_err() {
            continue;
        }
        for event in events.iter() {
            if event.token() == Token(0) {
                while let Ok((mut stream, _)) = listener.accept() {
                    let _ = stream.set_nodelay(true);
                    let _ = poll
                        .registry()
                        .register(&mut stream, Token(next), Interest::READABLE);
                    conns.insert(next, stream);
                    next += 1;
                }
                continue;
            }
            let token = event.token().0;
            let Some(stream) = conns.get_mut(&token) else {
                continue;
            };
            let mut closed = false;
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    // The echoed lines are small: the socket takes them whole.
                    Ok(n) => {
                        let _ = stream.write(&buffer[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            if closed {
                conns.remove(&token);
            }
        }
    }
}
