//! Every end-to-end test, in one test binary: the four programs, the book's examples and
//! lab-check started as real processes and talked to over loopback (helpers in `tests/src`).
//!
//! One binary, each file a module, not a binary per file: the test crate is linked once, not
//! twelve times, and the tests of every file run side by side, since they mostly wait on
//! sockets and clocks, not on the CPU. One file's tests, or one test, by name:
//!
//! ```text
//! cargo test -p tests --test end_to_end               # all of them
//! cargo test -p tests --test end_to_end book::        # the book's examples (book.rs)
//! cargo test -p tests --test end_to_end -- --exact tcp::iterative_mode_serves_one_client_at_a_time
//! ```
//!
//! `readme` holds the pages (README, LAB, docs/DEVELOPING, each in both languages) to what
//! the programs really print.

mod book;
mod clients;
mod lab_check;
mod locale;
mod readme;
mod servers;
mod stress;
mod tcp;
mod tcp_client;
mod tcp_server;
mod udp;
mod udp_client;
mod udp_server;
