//! When an address of this machine refuses: does the port answer at another of its addresses?
//!
//! The most common room failure is a server left on 127.0.0.1 (our servers' default,
//! Python's `HOST = 'localhost'`): checked at its LAN address it refuses, as if nothing ran.
//! From another machine that cannot be told apart from a server that is not running; on the
//! server's own machine it can: the same port answers at 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

/// This machine's addresses: the loopback ones and each interface's (link-local ones left
/// out: they need a zone to be reached).
fn own_addresses() -> Vec<IpAddr> {
    let mut own = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    for interface in if_addrs::get_if_addrs().unwrap_or_default() {
        let ip = interface.ip();
        if !interface.is_link_local() && !own.contains(&ip) {
            own.push(ip);
        }
    }
    own
}

/// True when `ip` is this machine: a loopback address, the unspecified one (which reaches
/// this machine), or an interface's.
pub fn is_this_machine(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified() || own_addresses().contains(&ip.to_canonical())
}

/// The other addresses of this machine, with `address`'s port: for a loopback address the
/// other loopback one (a server on `localhost` may be on ::1 alone), for an interface's
/// address every other one, loopback first.
fn elsewhere(address: SocketAddr) -> Vec<SocketAddr> {
    let ip = address.ip().to_canonical();
    own_addresses()
        .into_iter()
        .filter(|other| *other != ip && (other.is_loopback() || !ip.is_loopback()))
        .map(|ip| SocketAddr::new(ip, address.port()))
        .collect()
}

/// Another address of this machine where the port of `address` takes a TCP connection.
pub fn tcp_elsewhere(address: SocketAddr, wait: Duration) -> Option<SocketAddr> {
    elsewhere(address)
        .into_iter()
        .find(|&other| TcpStream::connect_timeout(&other, wait).is_ok())
}

/// Another address of this machine where the port of `address` answers a datagram (`probe`)
/// within `wait`.
pub fn udp_elsewhere(address: SocketAddr, probe: &[u8], wait: Duration) -> Option<SocketAddr> {
    elsewhere(address).into_iter().find(|&other| {
        let any = match other {
            SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
        };
        let Ok(socket) = UdpSocket::bind(any) else {
            return false;
        };
        let mut buffer = [0; 2048];
        socket.connect(other).is_ok()
            && socket.send(probe).is_ok()
            && socket.set_read_timeout(Some(wait)).is_ok()
            && socket.recv(&mut buffer).is_ok()
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn loopback_and_unspecified_addresses_are_this_machine_a_documentation_one_is_not() {
        for ip in ["127.0.0.1", "127.0.0.2", "::1", "0.0.0.0", "::"] {
            let ip: IpAddr = ip.parse().expect("an address");
            assert!(is_this_machine(ip), "{ip}");
        }
        // TEST-NET-3 (RFC 5737): no machine's own address.
        assert!(!is_this_machine(
            "203.0.113.77".parse().expect("an address")
        ));
    }

    #[test]
    fn the_other_loopback_address_is_tried_for_a_loopback_one() {
        let tried = elsewhere("127.0.0.1:5".parse().expect("an address"));
        assert!(
            tried.contains(&"[::1]:5".parse().expect("an address")),
            "{tried:?}"
        );
        assert!(
            tried.iter().all(|other| other.ip().is_loopback()),
            "{tried:?}"
        );
    }
}
