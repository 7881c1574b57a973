//! Parsing what people type: ports, seconds, and the server's address.

use common::cli::*;
use std::time::Duration;

#[test]
fn seconds_accept_fractions_and_refuse_nonsense() {
    assert_eq!(positive_seconds("2"), Ok(Duration::from_secs(2)));
    assert_eq!(positive_seconds("0.5"), Ok(Duration::from_millis(500)));
    assert!(positive_seconds("0").is_err());
    assert!(positive_seconds("-1").is_err());
    assert!(positive_seconds("soon").is_err());
    assert!(positive_seconds("inf").is_err());
    assert!(positive_seconds("1e19").is_err());
    assert_eq!(seconds("0"), Ok(Duration::ZERO));
}

#[test]
fn ports_for_servers_and_clients() {
    assert_eq!(server_port("0"), Ok(0));
    assert!(server_port("65536").is_err());
    assert!(client_port("0").is_err());
    assert_eq!(client_port("21567"), Ok(21567));
}

#[test]
fn the_server_as_people_write_it() {
    let ok = |positional, host, port| server_address(positional, host, port).unwrap();
    let default = ("localhost".to_string(), 21567);
    assert_eq!(ok(None, None, None), default);
    assert_eq!(ok(Some("10.0.0.5"), None, None), ("10.0.0.5".into(), 21567));
    assert_eq!(ok(Some("10.0.0.5:80"), None, None), ("10.0.0.5".into(), 80));
    assert_eq!(ok(None, Some("[::1]:9"), None), ("::1".into(), 9));
    assert_eq!(ok(None, Some("::1"), Some(9)), ("::1".into(), 9));
    assert_eq!(ok(None, Some("[::1]"), None), ("::1".into(), 21567));
    assert_eq!(ok(Some("h:9"), Some("h"), Some(9)), ("h".into(), 9));
    assert!(server_address(Some("h:9"), None, Some(10)).is_err());
    assert!(server_address(Some("a"), Some("b"), None).is_err());
    assert!(server_address(Some("h:0"), None, None).is_err());
    assert!(server_address(Some("h:http"), None, None).is_err());
}
