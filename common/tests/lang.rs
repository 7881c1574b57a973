//! The language rule, and English counts.

use common::lang::*;

fn vars(all: [Option<&str>; 3]) -> [Option<String>; 3] {
    all.map(|value| value.map(str::to_string))
}

#[test]
fn the_first_variable_set_decides() {
    let system = || None;
    assert!(!is_chinese(vars([None, None, None]), system));
    assert!(is_chinese(vars([None, None, Some("zh_CN.UTF-8")]), system));
    assert!(is_chinese(
        vars([None, Some("zh_TW"), Some("en_US")]),
        system
    ));
    assert!(!is_chinese(vars([Some("C"), None, Some("zh_CN")]), system));
    assert!(is_chinese(vars([Some(""), None, Some("zh_CN")]), system));
}

#[test]
fn with_no_variable_set_the_system_decides() {
    assert!(is_chinese(vars([None, None, None]), || Some(
        "zh-Hans-CN".into()
    )));
    assert!(!is_chinese(vars([None, None, None]), || Some(
        "en-US".into()
    )));
    // A variable set wins over the system.
    assert!(!is_chinese(vars([None, None, Some("en_GB")]), || Some(
        "zh-CN".into()
    )));
}

#[test]
fn english_counts_agree_in_number() {
    assert_eq!(count(1u32, "client"), "1 client");
    assert_eq!(count(2u32, "client"), "2 clients");
    assert_eq!(count(0u32, "datagram"), "0 datagrams");
}
