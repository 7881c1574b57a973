//! `cs = socket()` and `cs.connect(ADDR)`, for a name with several addresses.
//!
//! A name can have several addresses (`localhost` is `127.0.0.1` and `::1`), and some may be
//! dead. Trying them one after another, each with the whole `--timeout`, makes three dead
//! addresses cost thirty seconds of silence. So the client connects as Happy Eyeballs does
//! (RFC 8305): it starts with the first address, starts the next one a quarter of a second
//! later while the first goes on trying (at once if the first fails), and keeps the first
//! connection that succeeds. `--timeout` bounds the whole connect.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use socket2::{Domain, Protocol, Socket, Type};

use common::lang::OsError;
use common::{tr, trace};

/// How long one address is given before the next one is tried beside it (RFC 8305's
/// "Connection Attempt Delay", 250 ms recommended).
const NEXT_ADDRESS_AFTER: Duration = Duration::from_millis(250);

/// How one address's `connect()` ended.
type Attempt = (SocketAddr, io::Result<Socket>);

/// Connects to the first of `addresses` that answers within `timeout`, as Happy Eyeballs
/// does; `host` and `port` are for messages.
pub fn first_to_answer(
    host: &str,
    port: u16,
    addresses: &[SocketAddr],
    timeout: Duration,
) -> anyhow::Result<TcpStream> {
    let deadline = Instant::now() + timeout;
    let (done, attempts) = mpsc::channel();
    let mut started = 0;
    let mut next_start = Instant::now();
    let mut failed = Vec::new();
    while failed.len() < addresses.len() {
        let now = Instant::now();
        if started < addresses.len() && now >= next_start {
            start(addresses[started], deadline, done.clone())?;
            started += 1;
            next_start = now + NEXT_ADDRESS_AFTER;
        }
        let wake = if started < addresses.len() {
            next_start.min(deadline)
        } else {
            deadline
        };
        match attempts.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok((address, Ok(cs))) => {
                trace!("connect({address}) -> ok");
                return Ok(cs.into());
            }
            Ok((address, Err(error))) => {
                trace!("connect({address}) -> {error}");
                failed.push((address, error));
                next_start = Instant::now(); // a failure starts the next address at once
            }
            Err(RecvTimeoutError::Timeout) if Instant::now() >= deadline => break,
            Err(_) => {}
        }
    }
    Err(why_not(host, port, addresses, failed, timeout))
}

/// `cs = socket(AF_INET or AF_INET6, SOCK_STREAM)`, then `cs.connect(address)` on a thread
/// of its own, which reports to `done`.
fn start(address: SocketAddr, deadline: Instant, done: Sender<Attempt>) -> anyhow::Result<()> {
    // cs = socket()
    let cs = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(OsError::new)
    .context(tr!(
        "cannot create a socket: socket() failed",
        "无法创建套接字：socket() 失败"
    ))?;
    trace!("socket()");
    trace!("connect({address}) ...");
    // cs.connect(ADDR), as long as the whole connect may still take
    let connecting = move || {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = cs
            .connect_timeout(&address.into(), left.max(Duration::from_millis(1)))
            .map(|()| cs);
        let _ = done.send((address, result));
    };
    thread::Builder::new()
        .name("connect".into())
        .spawn(connecting)
        .map_err(OsError::new)
        .context(tr!(
            "cannot start a thread to connect",
            "无法启动用于连接的线程"
        ))?;
    Ok(())
}

/// `host:port` as a person writes it: `[::1]:21567` for an IPv6 address.
pub fn host_and_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Why no address answered, and what to do about it.
fn why_not(
    host: &str,
    port: u16,
    addresses: &[SocketAddr],
    mut failed: Vec<(SocketAddr, io::Error)>,
    timeout: Duration,
) -> anyhow::Error {
    let target = host_and_port(host, port);
    let tried: Vec<String> = addresses.iter().map(SocketAddr::to_string).collect();
    let tried = tried.join(", ");
    let secs = timeout.as_secs_f64();
    let refused = failed
        .iter()
        .any(|(_, error)| error.kind() == io::ErrorKind::ConnectionRefused);
    let timed_out = failed.len() < addresses.len()
        || failed
            .iter()
            .all(|(_, error)| error.kind() == io::ErrorKind::TimedOut);
    if addresses.is_empty() {
        return no_address(&target);
    }
    let on_this_machine = addresses
        .iter()
        .all(|address| common::net::is_this_machine(address.ip()));
    if refused && !on_this_machine {
        // Another machine: most often the teacher's server, left on 127.0.0.1.
        return anyhow!(tr!(
            "cannot connect to {target}: connection refused at {tried}: no server there takes connections from other machines; the server on that machine must be running, started with --host 0.0.0.0 (without it, it takes only its own machine's, 127.0.0.1)",
            "无法连接到 {target}：连接被拒绝（connection refused），{tried} 上没有接受其他机器连接的服务器；那台机器上的服务器须已启动，并且使用 --host 0.0.0.0（不加它启动的服务器只接受本机 127.0.0.1 的连接）"
        ));
    }
    if refused {
        return anyhow!(tr!(
            "cannot connect to {target}: connection refused at {tried}: no server is running there; start one with `cargo run -p tcp-server` (with the same --host and --port)",
            "无法连接到 {target}：连接被拒绝（connection refused），{tried} 上没有服务器在运行；请先用 `cargo run -p tcp-server` 启动服务器（使用相同的 --host 和 --port）"
        ));
    }
    if timed_out {
        return anyhow!(tr!(
            "cannot connect to {target}: no answer from {tried} within {secs} s (--timeout): check the address, that the server runs with --host 0.0.0.0, and that no firewall blocks the port",
            "无法连接到 {target}：{secs} 秒内 {tried} 没有应答（--timeout）。请检查：地址是否正确、服务器是否以 --host 0.0.0.0 启动、防火墙是否放行了该端口"
        ));
    }
    // Every address failed at once (one still waiting counts as timed out, above).
    let Some((_, last)) = failed.pop() else {
        return no_address(&target);
    };
    let reason = common::lang::os_error(&last);
    let message = if common::net::is_unreachable(&last) {
        tr!(
            "cannot connect to {target}: {reason} (tried {tried}): check the address, and that this machine is on the server's network",
            "无法连接到 {target}：{reason}；已尝试 {tried}。请检查地址是否正确，以及本机是否和服务器在同一个网络中"
        )
    } else {
        tr!(
            "cannot connect to {target}: {reason} (tried {tried})",
            "无法连接到 {target}：{reason}；已尝试 {tried}"
        )
    };
    OsError::explained(message, last).into()
}

/// The error for a host name that has no address to connect to.
fn no_address(target: &str) -> anyhow::Error {
    anyhow!(tr!(
        "cannot connect to {target}: the name has no address",
        "无法连接到 {target}：这个主机名没有解析到任何地址"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback address that takes no more connections and answers nothing: a listener
    /// whose queue is full drops new connection requests, as a dead host does (on Linux;
    /// Windows refuses them instead). Returns it with what must stay open to keep it so.
    #[cfg(target_os = "linux")]
    fn dead_address() -> (SocketAddr, Socket, Vec<TcpStream>) {
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        listener.bind(&any.into()).unwrap();
        listener.listen(0).unwrap();
        let address = listener.local_addr().unwrap().as_socket().unwrap();
        let mut queued = Vec::new();
        for _ in 0..16 {
            match TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(_) => return (address, listener, queued),
            }
        }
        panic!("the listener's queue never filled");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn dead_addresses_cost_a_quarter_of_a_second_each_not_the_whole_timeout() {
        let dead: Vec<_> = (0..3).map(|_| dead_address()).collect();
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut addresses: Vec<SocketAddr> = dead.iter().map(|(address, ..)| *address).collect();
        addresses.push(live.local_addr().unwrap());
        let started = Instant::now();
        let cs = first_to_answer("several", 1, &addresses, Duration::from_secs(10)).unwrap();
        let took = started.elapsed();
        assert_eq!(cs.peer_addr().unwrap(), live.local_addr().unwrap());
        assert!(took >= NEXT_ADDRESS_AFTER * 3, "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_timeout_bounds_the_whole_connect() {
        let dead: Vec<_> = (0..2).map(|_| dead_address()).collect();
        let addresses: Vec<SocketAddr> = dead.iter().map(|(address, ..)| *address).collect();
        let started = Instant::now();
        let error = first_to_answer("dead", 1, &addresses, Duration::from_millis(800))
            .err()
            .unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "{took:?}");
        assert!(format!("{error}").contains("--timeout"), "{error}");
    }

    #[test]
    fn a_refusal_moves_on_to_the_next_address_at_once() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let refusing = closed.local_addr().unwrap();
        drop(closed);
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let started = Instant::now();
        let addresses = [refusing, live.local_addr().unwrap()];
        let cs = first_to_answer("two", 1, &addresses, Duration::from_secs(10)).unwrap();
        assert_eq!(cs.peer_addr().unwrap(), live.local_addr().unwrap());
        assert!(
            started.elapsed() < NEXT_ADDRESS_AFTER,
            "{:?}",
            started.elapsed()
        );
    }

    /// What `why_not` says when every address failed with `kind`.
    fn why(address: &str, kind: io::ErrorKind) -> String {
        let address: SocketAddr = address.parse().unwrap();
        let failed = vec![(address, io::Error::from(kind))];
        let host = address.ip().to_string();
        let error = why_not(
            &host,
            address.port(),
            &[address],
            failed,
            Duration::from_secs(1),
        );
        format!("{error:#}")
    }

    #[test]
    fn a_refusal_here_says_to_start_a_server_and_one_from_another_machine_says_to_listen_for_it() {
        let here = why("127.0.0.1:21567", io::ErrorKind::ConnectionRefused);
        assert!(
            here.contains("start one with `cargo run -p tcp-server`"),
            "{here}"
        );
        // A documentation address (RFC 5737): never this machine's.
        let there = why("192.0.2.1:21567", io::ErrorKind::ConnectionRefused);
        assert!(there.contains("--host 0.0.0.0"), "{there}");
        assert!(!there.contains("start one"), "{there}");
    }

    #[test]
    fn no_way_to_the_address_says_what_to_check() {
        for kind in [
            io::ErrorKind::NetworkUnreachable,
            io::ErrorKind::HostUnreachable,
        ] {
            let words = why("192.0.2.1:21567", kind);
            assert!(words.contains("check the address"), "{kind:?}: {words}");
            assert!(words.contains("tried 192.0.2.1:21567"), "{kind:?}: {words}");
        }
        let other = why("192.0.2.1:21567", io::ErrorKind::PermissionDenied);
        assert!(!other.contains("check the address"), "{other}");
    }

    #[test]
    fn ipv6_is_written_in_brackets() {
        assert_eq!(host_and_port("::1", 33982), "[::1]:33982");
        assert_eq!(host_and_port("[::1]", 33982), "[::1]:33982");
        assert_eq!(host_and_port("localhost", 21567), "localhost:21567");
    }
}
