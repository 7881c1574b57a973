//! How the loop waits: on the threads' one channel, until the next event or the soonest
//! deadline the replies name (never a wake-up just to look at the clock), and what each event
//! from the threads changes.

use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use super::{Data, Talk, trace_call};
use crate::replies;
use crate::threads::{Event, cannot_start};
use common::input::Piece;

/// How long a closed connection waits for what the keyboard thread is reading (the end of
/// input, or a line): a moment, so that a close still ends the client at once.
const KEYBOARD_GRACE: Duration = Duration::from_millis(100);

impl Talk {
    /// Waits for the next event, or until `until` or the replies' deadline, whichever is
    /// first, and takes what happened.
    pub(super) fn step(&mut self, until: Option<Instant>) -> anyhow::Result<()> {
        let wake = [until, self.replies.deadline()].into_iter().flatten().min();
        let event = match wake {
            None => self.events.recv().map_err(|_| anyhow!(cannot_start()))?,
            Some(at) => {
                match self
                    .events
                    .recv_timeout(at.saturating_duration_since(Instant::now()))
                {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) => {
                        self.tell(replies::Event::TimePassed);
                        return Ok(());
                    }
                    Err(RecvTimeoutError::Disconnected) => return Err(anyhow!(cannot_start())),
                }
            }
        };
        self.take(event)?;
        self.time_passed_if_due();
        Ok(())
    }

    /// Takes every event already waiting, without waiting for more.
    pub(super) fn take_waiting(&mut self) -> anyhow::Result<()> {
        while let Ok(event) = self.events.try_recv() {
            self.take(event)?;
        }
        self.time_passed_if_due();
        Ok(())
    }

    /// Tells the replies what happened, now, and queues what they say to show.
    pub(super) fn tell(&mut self, event: replies::Event<'_>) {
        let shows = self.replies.on(event, Instant::now());
        self.to_show.extend(shows.into_iter().map(Data::Show));
    }

    /// Tells the replies that time has passed, if a deadline has (events may come faster
    /// than deadlines, and must not hold them off).
    fn time_passed_if_due(&mut self) {
        if self
            .replies
            .deadline()
            .is_some_and(|at| at <= Instant::now())
        {
            self.tell(replies::Event::TimePassed);
        }
    }

    /// What one event from the threads changes.
    fn take(&mut self, event: Event) -> anyhow::Result<()> {
        let bufsize = common::BUFSIZ;
        match event {
            Event::Typed(typed) => {
                self.typed_ahead = Some(typed.map_err(common::program::cannot_read_input)?);
            }
            Event::Sent(result) => self.sent = Some(result),
            Event::Received(bytes) => {
                let returned = format!("recv({bufsize}) -> {} bytes", bytes.len());
                trace_call(&mut self.to_show, &returned);
                trace_call(&mut self.to_show, &format!("recv({bufsize}) ..."));
                self.tell(replies::Event::Bytes(&bytes));
            }
            Event::Closed => {
                trace_call(&mut self.to_show, &format!("recv({bufsize}) -> 0 bytes"));
                self.learn_whether_the_input_ends()?;
                self.tell(replies::Event::Closed);
            }
            Event::RecvFailed(error) => {
                trace_call(&mut self.to_show, &format!("recv({bufsize}) -> {error}"));
                self.reset = Some(error);
                self.learn_whether_the_input_ends()?;
                self.tell(replies::Event::Reset);
            }
        }
        Ok(())
    }

    /// The connection has ended: a good end if the input ends here too, an error if a line
    /// is left to send. The keyboard thread may have read which it is a moment ago.
    fn learn_whether_the_input_ends(&mut self) -> anyhow::Result<()> {
        if self.replies.input_ended() {
            return Ok(());
        }
        let until = Instant::now() + KEYBOARD_GRACE;
        while self.typed_ahead.is_none() {
            let left = until.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                // The receiving thread has ended: only the keyboard and the sender speak.
                Ok(Event::Typed(typed)) => {
                    self.typed_ahead = Some(typed.map_err(common::program::cannot_read_input)?);
                }
                Ok(Event::Sent(result)) => self.sent = Some(result),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let input_ends = self.typed_ahead.as_ref().map(|typed| typed.piece);
        if input_ends == Some(Piece::Stop) {
            self.tell(replies::Event::InputEnded);
        }
        Ok(())
    }
}
