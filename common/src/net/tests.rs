//! Name lookup, bind advice and the UDP buffer limits.

use super::*;
use std::io;
use std::net::SocketAddr;

#[test]
fn ipv4_comes_first_and_brackets_are_optional() {
    assert_eq!(
        resolve("127.0.0.1", 7).unwrap(),
        vec!["127.0.0.1:7".parse().unwrap()]
    );
    assert_eq!(
        resolve("[::1]", 7).unwrap(),
        vec!["[::1]:7".parse().unwrap()]
    );
    if let Ok(all) = resolve("localhost", 7) {
        assert!(
            all[0].is_ipv4() || all.iter().all(SocketAddr::is_ipv6),
            "{all:?}"
        );
    }
}

#[test]
fn the_books_empty_host_is_every_interface_and_a_host_may_carry_its_port() {
    assert_eq!(resolve("", 7).unwrap(), vec!["0.0.0.0:7".parse().unwrap()]);
    assert_eq!(
        resolve("127.0.0.1:21567", 7).unwrap(),
        vec!["127.0.0.1:21567".parse().unwrap()]
    );
    assert_eq!(
        resolve("[::1]:9", 7).unwrap(),
        vec!["[::1]:9".parse().unwrap()]
    );
}

#[test]
fn full_width_and_urls_are_told_as_such() {
    let error = resolve("１２７.０.０.１", 7).unwrap_err().to_string();
    assert!(
        error.contains("full-width") && error.contains("127.0.0.1"),
        "{error}"
    );
    let error = resolve("http://example.com/", 7).unwrap_err().to_string();
    assert!(error.contains("URL"), "{error}");
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
    let address: SocketAddr = "127.0.0.1:21567".parse().unwrap();
    let text = |kind: io::ErrorKind| bind_error(address, kind.into()).to_string();
    assert!(text(io::ErrorKind::AddrInUse).contains("--port 21568"));
    assert!(text(io::ErrorKind::AddrNotAvailable).contains("--host 127.0.0.1"));
    assert!(text(io::ErrorKind::PermissionDenied).contains("above 1023"));
}

#[test]
fn udp_bufsize_limits_follow_every_client_the_socket_hears() {
    let limit = |text: &str| max_udp_bufsize(text.parse().unwrap());
    assert_eq!(limit("127.0.0.1:1"), 65_480);
    assert_eq!(limit("[::1]:1"), 65_500);
    assert_eq!(
        limit("[::]:1"),
        65_480,
        "a dual-stack socket hears IPv4 too"
    );
    assert!(check_udp_bufsize(65_481, "[::]:1".parse().unwrap()).is_err());
    assert!(check_udp_bufsize(65_500, "[::1]:1".parse().unwrap()).is_ok());
    // An IPv4-mapped address is IPv4 on the wire.
    assert_eq!(limit("[::ffff:127.0.0.1]:1"), 65_480);
    let refused = check_udp_bufsize(65_500, "[::ffff:127.0.0.1]:1".parse().unwrap());
    assert!(refused.is_err_and(|message| message.contains("65480")));
}

#[test]
fn a_link_local_address_without_a_zone_is_told_it_needs_one() {
    let error = resolve("fe80::1", 21567).expect_err("no zone").to_string();
    assert!(error.contains("fe80::1%eth0"), "{error}");
    assert!(lacks_zone(&"[fe80::1]:1".parse().unwrap()));
    assert!(!lacks_zone(&"[fe80::1%2]:1".parse().unwrap()));
    assert!(!lacks_zone(&"[::1]:1".parse().unwrap()));
    assert!(!lacks_zone(&"127.0.0.1:1".parse().unwrap()));
}

#[test]
fn a_refusal_is_this_machines_only_from_its_own_addresses() {
    for own in ["127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"] {
        assert!(is_this_machine(own.parse().unwrap()), "{own}");
    }
    // Documentation addresses (RFC 5737, RFC 3849): never this machine's.
    for other in ["192.0.2.1", "2001:db8::1"] {
        assert!(!is_this_machine(other.parse().unwrap()), "{other}");
    }
}
