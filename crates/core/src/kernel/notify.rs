//! Notices to users (SLA warnings and breaches, route changes) behind one
//! interface. The in-app inbox is the channel today; it writes inside the
//! caller's transaction, so a notice exists exactly when its cause
//! committed. The external channels (e-mail, WeCom, DingTalk) go through
//! the outbox ([`crate::kernel::outbox::Outbox`]): a row in the same
//! transaction, delivered later by the dispatcher job (ADR 0022). Another
//! channel implements [`Notifier`] and is added to [`channels`].

use yunwei_domain::ids::new_id;
use yunwei_domain::AppError;
use yunwei_store::tickets::{self as store, NotificationRow};
use yunwei_store::DbConn;

pub use crate::kernel::notice::{Notice, Notifier, SendFuture};

/// The in-app inbox (消息).
pub struct Inbox;

impl Notifier for Inbox {
    fn name(&self) -> &'static str {
        "inbox"
    }

    fn send<'a>(&'a self, c: &'a mut DbConn, n: &'a Notice<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            store::insert_notification(
                c,
                &NotificationRow {
                    id: new_id(),
                    user_id: n.user_id.to_string(),
                    ticket_id: n.ticket_id.map(str::to_string),
                    kind: n.kind.to_string(),
                    title: n.title.to_string(),
                    body: n.body.to_string(),
                    created_at: n.at_us,
                    read_at: None,
                    link: n.link.map(str::to_string),
                    due_at: n.due_at,
                },
            )
            .await
        })
    }
}

/// The channels every notice goes through.
pub fn channels() -> &'static [&'static dyn Notifier] {
    &[&Inbox, &crate::kernel::outbox::Outbox]
}

/// Sends a notice to each distinct user through every channel.
pub async fn notify(
    c: &mut DbConn,
    users: &[String],
    template: &Notice<'_>,
) -> Result<(), AppError> {
    let mut seen = std::collections::BTreeSet::new();
    for u in users {
        if !seen.insert(u.as_str()) {
            continue;
        }
        let n = Notice {
            user_id: u,
            ..template.clone()
        };
        for ch in channels() {
            ch.send(c, &n).await?;
        }
    }
    Ok(())
}
