//! Finding the other side, and network errors that say what to do.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use anyhow::anyhow;
use socket2::Socket;

use crate::address::listen_address;
use crate::ctime::STAMP_LEN;
use crate::lang::{OsError, os_error};
use crate::tr;

/// The most data one UDP datagram carries over IPv4 (65,535 less the IP and UDP headers).
const MAX_DATAGRAM_V4: usize = 65_507;

/// The most data one UDP datagram carries over IPv6 (no IP header counted in its length).
pub const MAX_DATAGRAM_V6: usize = 65_527;

/// Turns `host` and `port` into the addresses to try, in the order to try them.
///
/// `host` may be a name (`localhost`), an IPv4 address, or an IPv6 address with or without
/// brackets (`::1`, `[::1]`), with a port of its own (`127.0.0.1:21567`, `[::1]:21567`, the
/// form a server prints), which then wins over `port`. IPv4 addresses come first: a server
/// started with its defaults listens on 127.0.0.1, while many systems resolve `localhost` to
/// `::1` first.
///
/// An empty `host` is the book's `HOST = ''`: every interface. The book's socket is `AF_INET`,
/// so that is IPv4's `0.0.0.0`, as in the book (`--host ::` takes both families).
pub fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    if let Some(why) = crate::typing::mistyped(host) {
        return Err(anyhow!(why));
    }
    let (host, its_port) = listen_address(host, None).map_err(|why| anyhow!(why))?;
    let port = its_port.unwrap_or(port);
    if host.is_empty() {
        // HOST = ''
        return Ok(vec![SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))]);
    }
    let mut found: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(_) => Vec::new(),
    };
    if found.is_empty() {
        return Err(anyhow!(tr!(
            "unknown host '{host}': no such host; check the spelling, or give an IP address such as 127.0.0.1",
            "未知主机 '{host}'：无法解析这个名字；请检查拼写，或直接给出 IP 地址，例如 127.0.0.1"
        )));
    }
    // A link-local address means nothing without the interface it is on: the system would
    // only say "invalid argument" when the program binds or connects to it.
    let zoneless: Vec<SocketAddr> = found.iter().copied().filter(lacks_zone).collect();
    found.retain(|address| !lacks_zone(address));
    if let (true, Some(address)) = (found.is_empty(), zoneless.first()) {
        let ip = address.ip();
        return Err(anyhow!(tr!(
            "{ip} is a link-local address, which needs the name of the network interface it is on: write it with a zone, such as {ip}%eth0 (`ip addr` or `ipconfig` lists the interfaces)",
            "{ip} 是链路本地地址，必须注明它所在的网络接口：请写成带区域（zone）的形式，例如 {ip}%eth0（`ip addr` 或 `ipconfig` 可以列出网络接口）"
        )));
    }
    found.sort_by_key(SocketAddr::is_ipv6);
    Ok(found)
}

/// True for an IPv6 link-local address (`fe80::/10`) given without the interface it is on.
fn lacks_zone(address: &SocketAddr) -> bool {
    match address {
        SocketAddr::V6(v6) => v6.ip().segments()[0] & 0xFFC0 == 0xFE80 && v6.scope_id() == 0,
        SocketAddr::V4(_) => false,
    }
}

/// Lets a socket bound to `::` (every interface) hear IPv4 clients too, on every system:
/// Linux does by default, Windows and the BSDs do not.
pub fn hear_ipv4_too(socket: &Socket, address: SocketAddr) -> anyhow::Result<()> {
    if address.is_ipv6() && address.ip().is_unspecified() {
        socket
            .set_only_v6(false)
            .map_err(|error| cannot_set("IPV6_V6ONLY", error))?;
        crate::trace!("setsockopt(IPV6_V6ONLY, 0)");
    }
    Ok(())
}

/// A server's first lines: the address it is bound to (`--port 0` picks one), even with
/// `--quiet`; bound to every interface, then the command a student types for each of this
/// machine's addresses (`client`, such as `tcp-client --host 192.168.1.23`), for the teacher
/// to write on the board.
pub fn announce(server: &str, client: &str, bound: SocketAddr) {
    crate::out::log_line(tr!(
        "{server} listening on {bound}",
        "{server} 正在监听 {bound}"
    ));
    for ip in board(bound) {
        let command = client_command(client, ip, bound.port());
        crate::log!(
            "  students connect with: {command}",
            "  学生这样连接：{command}"
        );
    }
}

/// This machine's addresses that a server bound to `bound` can be reached at from other
/// machines: none unless it is bound to every interface (`0.0.0.0`, or `::` for both
/// families); loopback and link-local addresses left out.
pub fn board(bound: SocketAddr) -> Vec<IpAddr> {
    if !bound.ip().is_unspecified() {
        return Vec::new();
    }
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    let mut ips: Vec<IpAddr> = interfaces
        .iter()
        .filter(|interface| !interface.is_loopback() && !interface.is_link_local())
        .map(if_addrs::Interface::ip)
        .filter(|ip| bound.is_ipv6() || ip.is_ipv4())
        .collect();
    ips.sort_by_key(IpAddr::is_ipv6);
    ips.dedup();
    ips
}

/// A client's address as it is. A server on `::` hears IPv4 clients as IPv4-mapped IPv6
/// addresses (`[::ffff:127.0.0.1]:53422`); they are the IPv4 addresses they are
/// (`127.0.0.1:53422`), as a server on `0.0.0.0` shows them in its log.
pub fn unmapped(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::from((v4, v6.port())),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}

/// True when `ip` is this machine: loopback, "any", or one of its interfaces' addresses. A
/// refusal from any other address is another machine's, and there the usual cause is a
/// server that listens only on its own machine (127.0.0.1), not a server to start here.
pub fn is_this_machine(ip: IpAddr) -> bool {
    let ip = unmapped(SocketAddr::new(ip, 0)).ip();
    ip.is_loopback()
        || ip.is_unspecified()
        || if_addrs::get_if_addrs()
            .unwrap_or_default()
            .iter()
            .any(|interface| interface.ip() == ip)
}

/// True when the system says there is no way to the other side at all: no route to that
/// network, or no machine answering at that address on it (a typo, a machine that is off,
/// Wi-Fi off). Then the words to add are about the address and the network, not the server.
pub fn is_unreachable(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable
    )
}

/// The command a student types to reach a server at `ip` and `port`, as the lab handout
/// shows it: `tcp-client --host 192.168.1.23` (with `--port` when it is not the book's).
fn client_command(client: &str, ip: IpAddr, port: u16) -> String {
    if port == crate::PORT {
        format!("{client} --host {ip}")
    } else {
        format!("{client} --host {ip} --port {port}")
    }
}

/// The error for a socket call that failed, such as `cannot("listen()", error)`.
pub fn cannot(call: &str, error: io::Error) -> anyhow::Error {
    let reason = os_error(&error);
    let message = tr!("{call} failed: {reason}", "{call} 失败：{reason}");
    OsError::explained(message, error).into()
}

/// The error for a line a client could not send to the server at `server`.
pub fn cannot_send(server: SocketAddr, error: io::Error) -> anyhow::Error {
    anyhow::Error::new(OsError::new(error)).context(tr!(
        "cannot send to the server at {server}",
        "无法发送到服务器 {server}"
    ))
}

/// The error for a socket option that could not be set.
pub fn cannot_set(option: &str, error: io::Error) -> anyhow::Error {
    let reason = os_error(&error);
    let message = tr!(
        "cannot set {option}: {reason}",
        "无法设置 {option}：{reason}"
    );
    OsError::explained(message, error).into()
}

/// Explains why binding `address` failed, and what to do about it.
pub fn bind_error(address: SocketAddr, error: io::Error) -> anyhow::Error {
    let port = address.port();
    let next = port.wrapping_add(1).max(1024);
    let reason = os_error(&error);
    let message = match error.kind() {
        // Something holds the port: a server (perhaps another copy of this one, in another
        // terminal), or a connection that used it and has just ended (TIME_WAIT keeps the port
        // for up to a minute or two). Which one, the error does not say.
        io::ErrorKind::AddrInUse => tr!(
            "address {address} is already in use: something on this machine holds port {port}, another server or a connection that has just ended there; choose another port with --port (for example --port {next}), or stop the other server",
            "地址 {address} 已被占用：本机有程序占着端口 {port}，可能是另一个服务器，也可能是刚刚结束、尚未释放该端口的连接；请用 --port 换一个端口（例如 --port {next}），或停止另一个服务器"
        ),
        io::ErrorKind::AddrNotAvailable => tr!(
            "cannot bind {address}: that address does not belong to this machine; use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)",
            "无法绑定 {address}：该地址不属于本机；请用 --host 127.0.0.1（仅本机）或 --host 0.0.0.0（所有网络接口）"
        ),
        io::ErrorKind::PermissionDenied => tr!(
            "cannot bind {address}: permission denied (ports below 1024 need administrator rights); choose a port above 1023 with --port",
            "无法绑定 {address}：权限不足（小于 1024 的端口需要管理员权限）；请用 --port 选择 1024 或更大的端口"
        ),
        _ => tr!(
            "cannot bind {address}: {reason}",
            "无法绑定 {address}：{reason}"
        ),
    };
    OsError::explained(message, error).into()
}

/// True for the error a read or write gives when its timeout runs out (`WouldBlock` on
/// Unix, `TimedOut` on Windows).
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The largest `--bufsize` a UDP program takes at `address`: a reply, the stamp and the data,
/// must fit in one datagram to every client the socket can hear. A socket on `::` hears IPv4
/// clients too, and an IPv4-mapped address (`::ffff:127.0.0.1`) is IPv4 on the wire, so
/// IPv4's smaller limit holds there.
fn max_udp_bufsize(address: SocketAddr) -> usize {
    let ip = address.ip();
    let hears_ipv4 = ip.to_canonical().is_ipv4() || ip.is_unspecified();
    if hears_ipv4 {
        MAX_DATAGRAM_V4 - STAMP_LEN
    } else {
        MAX_DATAGRAM_V6 - STAMP_LEN
    }
}

/// Checks a UDP program's `--bufsize` against `max_udp_bufsize`; the usage error if too large.
pub fn check_udp_bufsize(bufsize: usize, address: SocketAddr) -> Result<(), String> {
    let max = max_udp_bufsize(address);
    let stamp = STAMP_LEN;
    let family = if max + STAMP_LEN == MAX_DATAGRAM_V4 {
        "IPv4"
    } else {
        "IPv6"
    };
    if bufsize <= max {
        return Ok(());
    }
    Err(tr!(
        "invalid value '{bufsize}' for '--bufsize': a reply ({stamp} bytes of stamp + {bufsize}) would not fit in one {family} datagram; the largest --bufsize for {address} is {max}",
        "--bufsize 的值 {bufsize} 无效：回复（{stamp} 字节的时间戳加 {bufsize} 字节的数据）放不进一个 {family} 数据报；在 {address} 上 --bufsize 最大为 {max}"
    ))
}

#[cfg(test)]
mod tests;
