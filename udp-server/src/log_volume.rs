//! The log's volume, bounded per sender: one student's flood cannot fill the teacher's disk.
//!
//! Not the book. The book prints two lines for every datagram; a program that sends empty
//! datagrams as fast as it can would make this server write well over 100 MB of log a
//! minute. So each sender gets a share of the log ([`LogShare`]: a few lines a second); the
//! lines beyond it are counted and summarised in one line, on the sender's next logged line or
//! on the server's tick (once a second). The counts printed at the stop still count every
//! datagram.
//!
//! A spoofer can send from any number of addresses, so the senders followed one by one are
//! bounded too: beyond [`SENDERS_FOLLOWED`], the rest share one share.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::lang::count;
use common::log;
use common::out::{LogOrSkip, LogShare, log_skipped};

/// How many senders have a share of their own at once; the rest share one.
pub const SENDERS_FOLLOWED: usize = 64;

/// How often lines not shown are summarised when nothing else is logged.
pub const SUMMARISE_EVERY: Duration = Duration::from_secs(1);

/// One sender's share of the log.
struct Sender {
    /// Its lines shown and counted.
    share: LogShare,
    /// When it last sent: a sender quiet for a second is forgotten (its count told first).
    last: Instant,
}

impl Sender {
    fn new(now: Instant) -> Sender {
        Sender {
            share: LogShare::new(now),
            last: now,
        }
    }

    fn take(&mut self, now: Instant) -> LogOrSkip {
        self.last = now;
        self.share.take(now)
    }
}

/// Whose lines were not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// One sender followed on its own.
    Sender(SocketAddr),
    /// The senders beyond [`SENDERS_FOLLOWED`].
    Others,
    /// Replies that bounced (their sender had gone): the system does not say whose.
    Bounced,
}

/// Lines not shown, to be summarised.
pub type Summary = (Who, u64);

/// Every sender's share of the log.
pub struct LogShares {
    /// False under `--quiet`: no line about a datagram is logged at all.
    logging: bool,
    /// The senders followed one by one.
    senders: HashMap<SocketAddr, Sender>,
    /// The one share of every sender beyond [`SENDERS_FOLLOWED`].
    others: Sender,
    /// The share of the lines about replies that bounced: a spoofer can make many bounce.
    bounced: Sender,
    /// When the next summaries are due.
    next_tick: Instant,
    /// Lines not shown and not summarised yet, of every share.
    untold: u64,
}

impl LogShares {
    /// No sender yet; `logging` is false under `--quiet`.
    pub fn new(logging: bool, now: Instant) -> LogShares {
        LogShares {
            logging,
            senders: HashMap::new(),
            others: Sender::new(now),
            bounced: Sender::new(now),
            next_tick: now + SUMMARISE_EVERY,
            untold: 0,
        }
    }

    /// May a line about a datagram from `sender` be logged now? If so, what its share did not
    /// show before is summarised first.
    pub fn may_log(&mut self, sender: SocketAddr, now: Instant) -> bool {
        if !self.logging {
            return false;
        }
        let (who, turn) = self.take(sender, now);
        self.use_turn(who, turn)
    }

    /// May a line about a reply that bounced be logged now? (Summarised like a sender's.)
    pub fn may_log_bounce(&mut self, now: Instant) -> bool {
        if !self.logging {
            return false;
        }
        let turn = self.bounced.take(now);
        self.use_turn(Who::Bounced, turn)
    }

    /// True while lines not shown wait to be summarised: then the server needs its tick.
    pub fn has_untold(&self) -> bool {
        self.untold > 0
    }

    /// Logs the summary a turn carries, or counts the line it skips; true when the line may
    /// be logged.
    fn use_turn(&mut self, who: Who, turn: LogOrSkip) -> bool {
        match turn {
            LogOrSkip::Log { skipped } => {
                self.untold -= skipped;
                log_summary((who, skipped));
                true
            }
            LogOrSkip::Skip => {
                self.untold += 1;
                false
            }
        }
    }

    /// Once a second: summarises the lines not shown whose second is over, and forgets the
    /// senders that went quiet. True when it logged something.
    pub fn tick(&mut self, now: Instant) -> bool {
        if !self.logging || now < self.next_tick {
            return false;
        }
        self.next_tick = now + SUMMARISE_EVERY;
        let due = self.due(now);
        self.untold -= due.iter().map(|(_, skipped)| skipped).sum::<u64>();
        let logged = !due.is_empty();
        due.into_iter().for_each(log_summary);
        logged
    }

    /// A turn from `sender`'s share (or the others' share when too many senders are
    /// followed), and whose it was.
    fn take(&mut self, sender: SocketAddr, now: Instant) -> (Who, LogOrSkip) {
        if let Some(followed) = self.senders.get_mut(&sender) {
            return (Who::Sender(sender), followed.take(now));
        }
        if self.senders.len() < SENDERS_FOLLOWED {
            let followed = self.senders.entry(sender).or_insert(Sender::new(now));
            return (Who::Sender(sender), followed.take(now));
        }
        (Who::Others, self.others.take(now))
    }

    /// The summaries due at `now`; senders quiet for a [`SUMMARISE_EVERY`] are forgotten.
    fn due(&mut self, now: Instant) -> Vec<Summary> {
        let mut due = Vec::new();
        self.senders.retain(|&sender, followed| {
            // A sender quiet for a tick has its second over: all it skipped is told here.
            let quiet = now.saturating_duration_since(followed.last) >= SUMMARISE_EVERY;
            let skipped = followed.share.skipped_by(now);
            if skipped > 0 {
                due.push((Who::Sender(sender), skipped));
            }
            !quiet
        });
        for (who, share) in [
            (Who::Others, &mut self.others),
            (Who::Bounced, &mut self.bounced),
        ] {
            let skipped = share.share.skipped_by(now);
            if skipped > 0 {
                due.push((who, skipped));
            }
        }
        due
    }
}

/// Logs one summary of lines not shown.
fn log_summary((who, skipped): Summary) {
    if skipped == 0 {
        return;
    }
    let lines = count(skipped, "more message");
    match who {
        Who::Sender(sender) => log_skipped(sender, skipped),
        Who::Others => log!(
            "  ({lines} from other senders not logged: more senders at once than the log follows one by one; the counts at the stop include them)",
            "  （其他发送方的另外 {skipped} 条消息未记入日志：同时发送的客户端太多，日志无法逐一记录；停止时的统计包含它们）"
        ),
        Who::Bounced => {
            let answers = count(skipped, "more answer");
            log!(
                "  ({answers} not delivered and not logged: their senders had gone)",
                "  （另有 {skipped} 个回复无法送达，未记入日志：发送方已经离开）"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::out::LINES_PER_SECOND;

    fn sender(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn shown(shares: &mut LogShares, from: SocketAddr, lines: usize, now: Instant) -> usize {
        (0..lines)
            .filter(|_| shares.take(from, now).1 != LogOrSkip::Skip)
            .count()
    }

    #[test]
    fn a_flood_from_one_sender_is_a_few_lines_a_second_and_one_summary() {
        let start = Instant::now();
        let mut shares = LogShares::new(true, start);
        let flooder = sender(1);
        assert_eq!(
            shown(&mut shares, flooder, 10_000, start),
            LINES_PER_SECOND as usize
        );
        // Another sender still has its own share.
        assert_eq!(shown(&mut shares, sender(2), 3, start), 3);
        // Nothing is due while the second lasts; once it is over, the count is told once.
        assert!(shares.due(start + SUMMARISE_EVERY / 2).is_empty());
        let later = start + SUMMARISE_EVERY;
        assert_eq!(
            shares.due(later),
            vec![(Who::Sender(flooder), 10_000 - u64::from(LINES_PER_SECOND))]
        );
        assert!(shares.due(later).is_empty());
    }

    #[test]
    fn the_tick_is_needed_only_while_lines_wait_to_be_told() {
        let start = Instant::now();
        let mut shares = LogShares::new(true, start);
        for _ in 0..LINES_PER_SECOND {
            assert!(shares.may_log(sender(1), start));
        }
        assert!(!shares.has_untold());
        assert!(!shares.may_log(sender(1), start));
        assert!(shares.has_untold());
        shares.tick(start + SUMMARISE_EVERY);
        assert!(!shares.has_untold());
        // Told with the sender's next line instead of on the tick: the same.
        for _ in 0..=LINES_PER_SECOND {
            shares.may_log(sender(2), start + SUMMARISE_EVERY);
        }
        assert!(shares.has_untold());
        assert!(shares.may_log(sender(2), start + SUMMARISE_EVERY * 2));
        assert!(!shares.has_untold());
    }

    #[test]
    fn quiet_senders_are_forgotten_after_their_count_is_told() {
        let start = Instant::now();
        let mut shares = LogShares::new(true, start);
        shown(&mut shares, sender(1), 8, start);
        let later = start + SUMMARISE_EVERY * 2;
        assert_eq!(shares.due(later), vec![(Who::Sender(sender(1)), 3)]);
        assert!(shares.senders.is_empty());
    }

    #[test]
    fn a_spoofers_many_addresses_share_one_share() {
        let start = Instant::now();
        let mut shares = LogShares::new(true, start);
        let total = (0..10_000)
            .map(|port| shown(&mut shares, sender(port), 1, start))
            .sum::<usize>();
        assert_eq!(shares.senders.len(), SENDERS_FOLLOWED);
        assert_eq!(total, SENDERS_FOLLOWED + LINES_PER_SECOND as usize);
        let due = shares.due(start + SUMMARISE_EVERY);
        let others = 10_000 - SENDERS_FOLLOWED as u64 - u64::from(LINES_PER_SECOND);
        assert_eq!(due, vec![(Who::Others, others)]);
    }
}
