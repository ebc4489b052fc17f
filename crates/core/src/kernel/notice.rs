//! What a notice is and what a channel of notices does (ADR 0022): the
//! types the inbox and the outbox share, below both, so that
//! `kernel::notify` may list the outbox among its channels.

use std::future::Future;
use std::pin::Pin;

use yunwei_domain::AppError;
use yunwei_store::DbConn;

/// One message for one user.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub user_id: &'a str,
    pub ticket_id: Option<&'a str>,
    /// `transition`, `timer_warning`, `timer_breach`.
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub at_us: i64,
    /// The page of the object the notice is about when it is not a ticket
    /// (a register entry, a control's subject).
    pub link: Option<&'a str>,
    /// The deadline of the to-do, where one is known.
    pub due_at: Option<i64>,
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;

pub trait Notifier: Send + Sync {
    fn name(&self) -> &'static str;
    /// Delivers (or queues in the same transaction) one notice.
    fn send<'a>(&'a self, c: &'a mut DbConn, n: &'a Notice<'a>) -> SendFuture<'a>;
}
