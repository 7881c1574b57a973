//! The language rule, and English counts.

use super::*;

/// The rule with no `LANGUAGE` set.
fn is_chinese_(variables: [Option<String>; 3], system: impl FnOnce() -> Option<String>) -> bool {
    is_chinese(variables, None, system)
}

fn vars(all: [Option<&str>; 3]) -> [Option<String>; 3] {
    all.map(|value| value.map(str::to_string))
}

#[test]
fn the_first_variable_set_decides() {
    let system = || None;
    assert!(!is_chinese_(vars([None, None, None]), system));
    assert!(is_chinese_(vars([None, None, Some("zh_CN.UTF-8")]), system));
    assert!(is_chinese_(
        vars([None, Some("zh_TW"), Some("en_US")]),
        system
    ));
    assert!(!is_chinese_(vars([Some("C"), None, Some("zh_CN")]), system));
    assert!(is_chinese_(vars([Some(""), None, Some("zh_CN")]), system));
}

#[test]
fn with_no_variable_set_the_system_decides() {
    assert!(is_chinese_(vars([None, None, None]), || Some(
        "zh-Hans-CN".into()
    )));
    assert!(!is_chinese_(vars([None, None, None]), || Some(
        "en-US".into()
    )));
    // A variable set wins over the system.
    assert!(!is_chinese_(vars([None, None, Some("en_GB")]), || Some(
        "zh-CN".into()
    )));
}

#[test]
fn language_comes_first_as_gettext_reads_it() {
    let zh = |language: &str, lang: Option<&str>| {
        is_chinese(vars([None, None, lang]), Some(language.to_string()), || {
            None
        })
    };
    assert!(zh("zh_CN:en", Some("en_US.UTF-8")));
    assert!(zh("zh_TW", Some("en_US.UTF-8")));
    assert!(!zh("en_US:zh_CN", Some("zh_CN.UTF-8")));
    // No French messages: the next language in the list that the programs have decides.
    assert!(zh("fr:zh_CN:en", Some("en_US.UTF-8")));
    // Neither of ours in the list: the locale decides.
    assert!(zh("fr", Some("zh_CN.UTF-8")));
    assert!(zh("", Some("zh_CN.UTF-8")));
    // The C locale asks for the program's own messages, whatever LANGUAGE says.
    for c in ["C", "POSIX", "C.UTF-8"] {
        assert!(!zh("zh_CN", Some(c)), "{c}");
    }
    assert!(!zh("zh_CN", None), "no locale at all is the C locale");
    // Where the system decides (Windows), LANGUAGE still comes first.
    assert!(is_chinese(
        vars([None, None, None]),
        Some("zh_CN".into()),
        || Some("en-US".into())
    ));
}

#[test]
fn every_os_error_the_programs_meet_has_words() {
    // English: the system's own words.
    let error = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    assert_eq!(os_error(&error), error.to_string());
}

#[test]
fn english_counts_agree_in_number() {
    assert_eq!(count(1u32, "client"), "1 client");
    assert_eq!(count(2u32, "client"), "2 clients");
    assert_eq!(count(0u32, "datagram"), "0 datagrams");
}

/// Chinese words for the system's errors (the numbers are Unix's).
#[cfg(unix)]
mod os_error_words {
    use super::super::chinese_words;
    use std::io;

    #[test]
    fn every_os_error_the_programs_can_meet_has_chinese_words() {
        for code in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::EMSGSIZE,
            libc::EADDRNOTAVAIL,
            libc::EADDRINUSE,
            libc::ENETUNREACH,
            libc::EHOSTUNREACH,
            libc::ENETDOWN,
            libc::EACCES,
            libc::EPERM,
            libc::EPIPE,
            libc::ECONNABORTED,
            libc::ECONNRESET,
            libc::ECONNREFUSED,
            libc::ETIMEDOUT,
            libc::EAGAIN,
            libc::ENOMEM,
            libc::ENOSPC,
            libc::EAFNOSUPPORT,
            libc::EINVAL,
            libc::ENOTCONN,
        ] {
            let error = io::Error::from_raw_os_error(code);
            let words = chinese_words(&error).unwrap_or_else(|| panic!("no words for {error}"));
            assert!(
                words.ends_with('）'),
                "{words}: the system's term closes it"
            );
        }
        let denied = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(
            chinese_words(&denied),
            Some("权限不足（permission denied）")
        );
    }
}
