//! Reading the server's address and ports as people write them.

use super::*;

#[test]
fn ports_for_servers_and_clients() {
    assert_eq!(server_port("0"), Ok(0));
    assert!(server_port("65536").is_err());
    assert!(client_port("0").is_err());
    assert_eq!(client_port("21567"), Ok(21567));
}

#[test]
fn the_server_as_people_write_it() {
    let ok = |named: &[&str], port| server_address(named, port).unwrap();
    let default = ("localhost".to_string(), 21567);
    assert_eq!(ok(&[], None), default);
    assert_eq!(ok(&["10.0.0.5"], None), ("10.0.0.5".into(), 21567));
    assert_eq!(ok(&["10.0.0.5:80"], None), ("10.0.0.5".into(), 80));
    assert_eq!(ok(&["[::1]:9"], None), ("::1".into(), 9));
    assert_eq!(ok(&["::1"], Some(9)), ("::1".into(), 9));
    assert_eq!(ok(&["[::1]"], None), ("::1".into(), 21567));
    assert_eq!(ok(&["h:9", "h"], Some(9)), ("h".into(), 9));
    assert!(server_address(&["h:9"], Some(10)).is_err());
    assert!(server_address(&["h:0"], None).is_err());
    assert!(server_address(&["h:http"], None).is_err());
}

#[test]
fn a_server_named_twice_is_named_in_the_order_typed() {
    let why = server_address(&["a", "b"], None).unwrap_err();
    assert!(why.contains("as a and as b"), "{why}");
    let why = server_address(&["b", "a"], None).unwrap_err();
    assert!(why.contains("as b and as a"), "{why}");
}

#[test]
fn a_url_is_told_as_a_url() {
    let why = server_address(&["http://127.0.0.1:21567/"], None).unwrap_err();
    assert!(why.contains("URL, not a host"), "{why}");
    assert!(why.contains("such as 127.0.0.1:21567"), "{why}");
}

#[test]
fn a_server_listens_where_it_says_it_listens() {
    assert_eq!(
        listen_address("127.0.0.1:21567", None),
        Ok(("127.0.0.1".into(), Some(21567)))
    );
    assert_eq!(listen_address("[::1]:0", None), Ok(("::1".into(), Some(0))));
    assert_eq!(listen_address("::", Some(5)), Ok(("::".into(), None)));
    // The book's HOST = '': every interface.
    assert_eq!(listen_address("", None), Ok((String::new(), None)));
    assert_eq!(
        listen_address("127.0.0.1:7", Some(7)),
        Ok(("127.0.0.1".into(), Some(7)))
    );
    assert!(
        listen_address("127.0.0.1:7", Some(8))
            .unwrap_err()
            .contains("twice")
    );
}
