//! Finding the other side: host names to addresses, and errors that say what to do.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::anyhow;

use crate::text::Message;

/// Turns `host` and `port` into the addresses to try, in the order to try them.
///
/// `host` may be a name (`localhost`), an IPv4 address, or an IPv6 address with or without
/// brackets (`::1`, `[::1]`).
pub fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = match (bare, port).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(error) => {
            let message = Message::UnknownHost.with(&[("host", &host), ("error", &error)]);
            return Err(anyhow!("{message}"));
        }
    };
    if found.is_empty() {
        return Err(anyhow!(
            "{}",
            Message::HostHasNoAddress.with(&[("host", &host)])
        ));
    }
    Ok(ipv4_first(found))
}

/// Puts IPv4 addresses first, keeping the resolver's order otherwise.
///
/// A server started with its defaults listens on 127.0.0.1, but many systems resolve
/// `localhost` to `::1` first. Trying IPv4 first means the default client finds the default
/// server at once; a server on `::1` is still found, as the next address tried.
pub fn ipv4_first(mut addresses: Vec<SocketAddr>) -> Vec<SocketAddr> {
    addresses.sort_by_key(|address| address.is_ipv6());
    addresses
}

/// Explains why binding `address` failed, and what to do about it.
pub fn bind_error(address: SocketAddr, error: io::Error) -> anyhow::Error {
    let port = address.port();
    let next = port.wrapping_add(1).max(1024);
    let message = match error.kind() {
        io::ErrorKind::AddrInUse => Message::AddressInUse,
        io::ErrorKind::AddrNotAvailable => Message::AddressNotHere,
        io::ErrorKind::PermissionDenied => Message::PortNeedsAdmin,
        _ => Message::CannotBind,
    };
    let advice = message.with(&[("address", &address), ("port", &port), ("next", &next)]);
    anyhow::Error::new(error).context(advice.to_string())
}

/// True for the error a read or write gives when its timeout runs out (`WouldBlock` on
/// Unix, `TimedOut` on Windows).
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Lists addresses for a message: `[::1]:21567, 127.0.0.1:21567`.
pub fn list(addresses: &[SocketAddr]) -> String {
    let texts: Vec<String> = addresses.iter().map(SocketAddr::to_string).collect();
    texts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_comes_first_when_localhost_resolves_to_ipv6_first() {
        let from_resolver: Vec<SocketAddr> = vec![
            "[::1]:21567".parse().unwrap(),
            "127.0.0.1:21567".parse().unwrap(),
        ];
        let order = ipv4_first(from_resolver);
        assert_eq!(order[0], "127.0.0.1:21567".parse().unwrap());
        assert_eq!(order[1], "[::1]:21567".parse().unwrap());
    }

    #[test]
    fn addresses_resolve_with_or_without_brackets() {
        assert_eq!(
            resolve("127.0.0.1", 7).unwrap(),
            vec!["127.0.0.1:7".parse().unwrap()]
        );
        assert_eq!(resolve("::1", 7).unwrap(), vec!["[::1]:7".parse().unwrap()]);
        assert_eq!(
            resolve("[::1]", 7).unwrap(),
            vec!["[::1]:7".parse().unwrap()]
        );
    }

    #[test]
    fn an_unknown_host_is_named() {
        let error = resolve("no-such-host.invalid", 7).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unknown host 'no-such-host.invalid'")
        );
    }

    #[test]
    fn bind_errors_say_what_to_do() {
        let address: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let not_here = format!(
            "{:#}",
            bind_error(address, io::ErrorKind::AddrNotAvailable.into())
        );
        assert!(not_here.contains("--host 127.0.0.1"), "{not_here}");
        let denied = format!(
            "{:#}",
            bind_error(address, io::ErrorKind::PermissionDenied.into())
        );
        assert!(
            denied.contains("above 1023") && denied.contains("--port"),
            "{denied}"
        );
    }

    #[test]
    fn address_in_use_suggests_another_port() {
        let address: SocketAddr = "127.0.0.1:21567".parse().unwrap();
        let error = bind_error(address, io::ErrorKind::AddrInUse.into());
        let text = format!("{error:#}");
        assert!(text.contains("127.0.0.1:21567"), "{text}");
        assert!(text.contains("--port"), "{text}");
    }
}
