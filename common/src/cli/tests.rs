//! The command line: what a good value is, and which words are checked as typed.

use super::*;
use crate::address::{client_port, server_port};
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
fn a_bad_value_is_told_what_a_good_one_is() {
    // The reader's language here is English (the tests run without a Chinese locale).
    let port = server_port("99999").unwrap_err();
    assert!(port.contains("from 0 to 65535"), "{port}");
    assert!(client_port("-1").unwrap_err().contains("from 1 to 65535"));
    let retries = whole_number(0, u32::MAX);
    assert_eq!(retries("3"), Ok(3));
    for bad in ["x", "99999999999", "-1", ""] {
        let why = retries(bad).unwrap_err();
        assert!(
            why.contains("whole number from 0 to 4294967295"),
            "{bad}: {why}"
        );
        assert!(!why.contains("invalid digit"), "{why}");
    }
    let backlog = whole_number(0, 65535);
    assert_eq!(backlog("5"), Ok(5i32));
    assert!(backlog("65536").unwrap_err().contains("from 0 to 65535"));
    assert!(bytes_up_to(10)("11").unwrap_err().contains("from 1 to 10"));
}

#[test]
fn an_option_and_its_value_are_checked_but_not_a_files_name() {
    #[derive(clap::Parser)]
    struct Kit {
        #[arg(long)]
        room: Option<std::path::PathBuf>,
        #[arg(long)]
        host: Option<String>,
    }
    let command = Kit::command();
    assert!(takes_a_file(&command, "--room"));
    assert!(!takes_a_file(&command, "--host"));
    assert!(!takes_a_file(&command, "room"));
    assert_eq!(mistyped_option(&command, "--room=名单（一班）.txt"), None);
    assert_eq!(mistyped_option(&command, "--host=127.0.0.1"), None);
    let why = mistyped_option(&command, "--host=“127.0.0.1”").expect("quotes");
    assert!(why.ends_with("type it as 127.0.0.1"), "{why}");
    let why = mistyped_option(&command, "——host=127.0.0.1").expect("dashes");
    assert!(why.ends_with("type it as --host=127.0.0.1"), "{why}");
}
